"""Hands-on labs in the TUI: the list of labs, and one lab with its task, start, check, hints, reset.

The work is the lab service's (``trainer.labservice``), the same as ``lpic3 lab``'s; this screen
shows it. Starting, checking and resetting run in a worker thread, one job at a time per lab: a
key press while a job runs is refused with a notice. A worker talks to the screen only through
messages, and owns the lab's shell while it runs: Escape sets the job's cancel event, and the
worker itself abandons the command in flight, closes the shell and reports "cancelled". The shell
is closed when the screen goes away (Escape, q): at once when idle, else by the worker as it ends.
Changing a target that is not a sandbox needs a yes in a dialog, asked by the worker (after the
requirements check) through a message; it waits for the answer or for a cancel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as NoAnswerYet
from dataclasses import dataclass, field
from typing import ClassVar

from markdown_it import MarkdownIt
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Markdown, Static

from checkers.probes import FAIL, NOT_JUDGED, PASS
from checkers.session import Interrupted
from checkers.targets import Target
from trainer.curriculum.model import Curriculum, Exercise
from trainer.curriculum.quoting import shorten
from trainer.errors import Lpic3Error
from trainer.labs.runner import CheckResult, outcome, refusal
from trainer.labservice import Lab, NotConfirmed, Setup, choose_target, passed_labs
from trainer.study.review import labs_due_now
from trainer.study.store import LabAttempt, Store

COLUMNS = ("done", "lab", "objective", "needs")
MARKS = {PASS: "PASS", FAIL: "FAIL", NOT_JUDGED: "NOT JUDGED"}
WHAT = {"start": "setting the lab up", "check": "checking", "reset": "resetting", "machine": "resetting the sandbox"}


def plain_markdown() -> MarkdownIt:
    """Markdown without raw HTML, so a stand-in such as ``<host>`` in a task shows as written."""
    return MarkdownIt("gfm-like", {"html": False})


class LabListScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "sandbox_up", "Start sandbox VM"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    class SandboxBooted(Message):
        """The sandbox boot worker ended: how long it took, or why it did not start."""

        def __init__(self, seconds: float | None, error: str = "") -> None:
            super().__init__()
            self.seconds, self.error = seconds, error

    def __init__(self, cur: Curriculum, store: Store, objective: str | None, due_only: bool = False) -> None:
        super().__init__()
        self.cur, self.store, self.objective, self.due_only = cur, store, objective, due_only
        self.target = choose_target()

    def labs(self) -> list[Exercise]:
        """The objective's labs (all when it has none); in a review, the passed labs due again."""
        if self.due_only:
            due = set(labs_due_now(self.store))
            return [e for e in self.cur.exercises if e.id in due]
        chosen = [e for e in self.cur.exercises if self.objective in (None, e.objective)]
        return chosen or list(self.cur.exercises)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="lab-list-head")
        yield DataTable(id="lab-list", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "hands-on labs"
        self.refresh_rows()

    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        self.target = choose_target()
        advice = "" if self.target.sandbox else " Press u to start lpic3's own sandbox VM instead."
        review = "These labs you passed are due to be done again, with new values: start each anew. " * self.due_only
        self.query_one("#lab-list-head", Static).update(
            f"{review}Labs run on {self.target.description}. Enter opens one.{advice}"
        )
        self._fill()

    def _fill(self) -> None:
        """The table's rows, their titles fitted to the window's width. The columns are made anew with
        their widths set: one sized by its content never narrows when the window does, and rows
        drawn before its width is measured stay drawn too narrow."""
        passed, due = passed_labs(self.store), set(labs_due_now(self.store))
        table: DataTable[str] = self.query_one(DataTable)
        row = table.cursor_row  # back from a lab, the cursor stays on it
        title_room, needs_room = self._column_room()
        table.clear(columns=True)
        for label, width in zip(COLUMNS, (len("done"), title_room, len("objective"), needs_room), strict=True):
            table.add_column(label, width=width)
        for e in self.labs():
            done = "due" if e.id in due else "yes" if e.id in passed else ""
            needs = shorten(", ".join(e.requires), needs_room)
            table.add_row(done, shorten(e.title, title_room), e.objective, needs, key=e.id)
        table.move_cursor(row=row)

    def _column_room(self) -> tuple[int, int]:
        """Characters for a lab's title and for what it needs: what it needs gets a fifth of the
        window (at least 12, at most 38: the longest list), the title what the other columns leave
        (each column has a cell of padding either side, the table a scroll bar); a cut one ends in
        an ellipsis."""
        width = self.app.size.width
        needs = min(max(width // 5, 12), 38)
        fixed = len("done") + len("objective") + needs + 2 * len(COLUMNS) + 2
        return max(width - fixed, 24), needs

    def on_resize(self) -> None:
        self._fill()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        exercise = next(e for e in self.cur.exercises if e.id == event.row_key.value)
        self.app.push_screen(LabScreen(exercise, self.store, self.target))

    def action_sandbox_up(self) -> None:
        from trainer.sandbox.files import SandboxFiles
        from trainer.sandbox.rootless import how_to_build

        if self.target.sandbox:
            self.notify("The sandbox VM is already running.")
        elif not SandboxFiles.default().built:
            self.notify(
                f"No sandbox image yet: run `lpic3 sandbox build` once (about 4 minutes); it can run {how_to_build()}.",
                severity="warning",
                timeout=15,
            )
        else:
            self.notify("Starting the sandbox VM (about 20 s with TCG) ...")
            self._boot()

    @work(thread=True, exclusive=True, group="sandbox")
    def _boot(self) -> None:
        from trainer.sandbox.files import SandboxFiles
        from trainer.sandbox.vm import up

        try:
            self.post_message(self.SandboxBooted(up(SandboxFiles.default(), lambda _: None)))
        except Lpic3Error as exc:
            self.post_message(self.SandboxBooted(None, exc.message))

    def on_lab_list_screen_sandbox_booted(self, message: SandboxBooted) -> None:
        if message.seconds is None:
            self.notify(f"The sandbox did not start: {message.error}", severity="error", timeout=15, markup=False)
        else:
            self.notify(f"The sandbox VM is ready ({message.seconds:.0f} s).")
        self.refresh_rows()


class Choose(ModalScreen[str]):
    """A question with a few answers (button id: label); Escape or the last button says no."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss('no')", "Cancel")]

    def __init__(self, question: str, answers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.question = question
        self.answers = answers or {"yes": "Yes, go ahead", "no": "No"}

    def compose(self) -> ComposeResult:
        with Vertical(id="submit-box"):
            yield Static(self.question)
            for number, (answer, label) in enumerate(self.answers.items()):
                yield Button(label, variant="warning" if number == 0 else "default", id=answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "no")


@dataclass(slots=True)
class Job:
    """One piece of work on the lab's target, run by one worker; ``cancel`` asks it to stop."""

    kind: str  # a key of WHAT
    attempt: LabAttempt | None = None
    cancel: threading.Event = field(default_factory=threading.Event)


class LabScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start", "Start"),
        Binding("c", "check", "Check"),
        Binding("h", "hint", "Hint"),
        Binding("r", "reset", "Reset"),
        Binding("e", "explain", "Why", tooltip="Show or hide the commands the last check ran and what they returned"),
        Binding("escape", "leave", "Back / cancel"),
    ]

    class Checked(Message):
        """One check's result, while a check job runs."""

        def __init__(self, job: Job, result: CheckResult) -> None:
            super().__init__()
            self.job, self.result = job, result

    class ConsentAsked(Message):
        """The worker asks for a yes before it changes the target; ``answer`` takes the reply."""

        def __init__(self, question: str, answer: Future[bool]) -> None:
            super().__init__()
            self.question, self.answer = question, answer

    class Done(Message):
        """A job ended: with its value, or cancelled, or declined in the consent dialog, or with an error."""

        def __init__(
            self, job: Job, value: object = None, error: str = "", cancelled: bool = False, declined: bool = False
        ) -> None:
            super().__init__()
            self.job, self.value, self.error = job, value, error
            self.cancelled, self.declined = cancelled, declined

    def __init__(self, exercise: Exercise, store: Store, target: Target) -> None:
        super().__init__()
        self.exercise, self.target = exercise, target
        self.lab = Lab(exercise, target, store, self._ask)
        self.job: Job | None = None
        self.results: list[CheckResult] = []

    @property
    def attempt(self) -> LabAttempt | None:
        return self.lab.attempt()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="lab-status")
        with VerticalScroll(id="lab-body"):
            yield Markdown("", id="lab-task", parser_factory=plain_markdown)
            yield Markdown("", id="lab-results", parser_factory=plain_markdown)
            yield Markdown("", id="lab-hints", parser_factory=plain_markdown)
            explain = Static("", id="lab-explain", markup=False)
            explain.display = False
            yield explain
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"lab {self.exercise.id}"
        self.show_task()
        self.status("started" if self.attempt else "not started: press s to set it up")

    def on_unmount(self) -> None:
        """The shell goes with the screen; a job still running is cancelled and closes it as it ends."""
        if self.job is not None:
            self.job.cancel.set()
        self.lab.close()

    def show_task(self) -> None:
        self.query_one("#lab-task", Markdown).update(f"# {self.exercise.title}\n\n{self.lab.task().strip()}")

    def status(self, text: str) -> None:
        self.query_one("#lab-status", Static).update(f"{self.target.description} · {text}")

    def clear_results(self) -> None:
        self.query_one("#lab-results", Markdown).update("")
        self.query_one("#lab-hints", Markdown).update("")

    # -- actions -----------------------------------------------------------------------------------
    def action_start(self) -> None:
        previous = self.attempt
        self._begin(Job("start"), lambda job: self.lab.set_up(cancel=job.cancel, previous=previous))

    def action_check(self) -> None:
        attempt = self.attempt
        if attempt is None:
            self.notify("Start the lab first (s).", severity="warning")
            return
        self._begin(
            Job("check", attempt),
            lambda job: self.lab.judge(
                attempt.params, job.cancel, lambda r: self.post_message(self.Checked(job, r)), explain=True
            ),
        )

    def action_reset(self) -> None:
        attempt = self.attempt
        if attempt is None:
            self.notify("Nothing to reset: the lab was not started.")
        elif self._refused():
            return
        elif self.target.spec == "sandbox":
            from trainer.sandbox.files import SandboxFiles

            answers = {
                "lab": "Reset the lab (its reset script, a second)",
                "machine": f"Reset the whole sandbox (a clean machine, {SandboxFiles.default().reset_takes()})",
                "no": "Cancel",
            }
            question = "Reset what? The sandbox reset also undoes anything else done in the VM."
            self.app.push_screen(Choose(question, answers), lambda answer: self._reset_chosen(answer, attempt))
        else:
            self._reset_chosen("lab", attempt)

    def _reset_chosen(self, answer: str | None, attempt: LabAttempt) -> None:
        if answer == "lab":
            self._begin(Job("reset", attempt), lambda job: self.lab.reset(attempt.params, job.cancel))
        elif answer == "machine":
            self._begin(Job("machine", attempt), lambda job: self.lab.reset_machine(lambda _: None))

    def action_hint(self) -> None:
        if self.attempt is None or not self.exercise.hints:
            self.notify("No hints here; a failing check shows its own hint.")
            return
        hints = self.lab.next_hints()
        self.query_one("#lab-hints", Markdown).update(
            "\n\n".join(f"**Hint {n}/{len(self.exercise.hints)}.** {text}" for n, text in enumerate(hints, 1))
        )

    def action_explain(self) -> None:
        """Show (or hide again) the commands each check of the last check ran, with what they returned."""
        view = self.query_one("#lab-explain", Static)
        if view.display:
            view.display = False
        elif not self.results:
            self.notify("Check first (c): then e shows the commands the checks ran.")
        else:
            view.update(explanation(self.results))
            view.display = True
            self.call_after_refresh(view.scroll_visible, top=True)

    def action_leave(self) -> None:
        if self.job is None:
            self.app.pop_screen()
        elif self.job.kind == "machine":
            from trainer.sandbox.files import SandboxFiles

            takes = SandboxFiles.default().reset_takes()
            self.notify(f"The sandbox reset cannot be stopped halfway; it takes {takes}.", severity="warning")
        elif not self.job.cancel.is_set():
            self.job.cancel.set()
            self.status(f"cancelling {WHAT[self.job.kind]} ...")

    # -- jobs ------------------------------------------------------------------------------------------
    def _refused(self) -> bool:
        """True (with a notice) while a job runs: one at a time."""
        if self.job is None:
            return False
        self.notify(f"Busy {WHAT[self.job.kind]}: wait for it, or press Escape to cancel it.", severity="warning")
        return True

    def _begin(self, job: Job, task: Callable[[Job], object]) -> None:
        if self._refused():
            return
        self.job = job
        self.results = []
        self.query_one("#lab-explain", Static).display = False  # it told of the last check
        if job.kind != "check":  # what the screen said of the lab before no longer holds
            self.clear_results()
        self.status(f"{WHAT[job.kind]} ... (Escape cancels)" if job.kind != "machine" else f"{WHAT[job.kind]} ...")
        self._work(job, task)

    @work(thread=True, group="lab")
    def _work(self, job: Job, task: Callable[[Job], object]) -> None:
        """The job's worker: runs ``task`` and reports the end with a Done message, whatever happens."""
        try:
            self.post_message(self.Done(job, value=task(job)))
        except Interrupted:
            self.post_message(self.Done(job, cancelled=True))
        except NotConfirmed:
            self.post_message(self.Done(job, declined=True))
        except Lpic3Error as exc:
            self.post_message(self.Done(job, error=exc.message))

    def _ask(self, question: str) -> bool:
        """The service's consent, called in the worker: a dialog on the screen, waited for here."""
        job = self.job
        answer: Future[bool] = Future()
        self.post_message(self.ConsentAsked(question, answer))
        while True:
            try:
                return answer.result(timeout=0.1)
            except NoAnswerYet:
                if job is None or job.cancel.is_set():
                    raise Interrupted("stopped while asking") from None

    def on_lab_screen_consent_asked(self, message: ConsentAsked) -> None:
        self.app.push_screen(
            Choose(f"{message.question}. Continue?"), lambda answer: message.answer.set_result(answer == "yes")
        )

    def on_lab_screen_checked(self, message: Checked) -> None:
        if message.job is self.job:
            self.results.append(message.result)
            self.show_results("running")

    def on_lab_screen_done(self, message: Done) -> None:
        job = message.job
        if job is not self.job:
            return
        self.job = None
        if message.declined:
            self.status("not confirmed: nothing was changed")
        elif message.cancelled:
            again = {"start": "press s to set the lab up again", "check": "press c to check again"}
            self.status(f"cancelled {WHAT[job.kind]}: " + again.get(job.kind, "press s to set the lab up again"))
            if job.kind == "check":
                self.show_results("cancelled")
            self.notify("Cancelled.")
        elif message.error:
            self.status(f"{WHAT[job.kind]} did not finish")
            self.notify(message.error, severity="error", timeout=15, markup=False)
        elif job.kind == "start" and isinstance(message.value, Setup):
            self.lab.record_start(message.value)
            self.show_task()
            self.status("started: do the task, then press c to check")
        elif job.kind == "check" and job.attempt is not None and isinstance(message.value, list):
            self.results = message.value
            self.lab.record_check(job.attempt, self.results)
            self.show_results("done")
        elif job.kind == "reset":
            self.status("reset: what the lab and you made is gone; press s to set it up again")
        elif job.kind == "machine" and isinstance(message.value, float):
            self.status(f"the sandbox is a clean machine again ({message.value:.0f} s); press s to set the lab up")

    def show_results(self, state: str) -> None:
        """The results so far; ``state`` is running, done (all checks ran) or cancelled."""
        lines = []
        for r in self.results:
            lines.append(
                f"- **{MARKS[r.outcome]}** `{r.check.id}`: expected {r.verdict.expected}; seen {r.verdict.seen}"
            )
            if r.outcome == FAIL:
                lines.append(f"  - hint: {r.hint}")
        total, passed = len(self.exercise.checks), sum(r.outcome == PASS for r in self.results)
        unjudged = sum(r.outcome == NOT_JUDGED for r in self.results)
        verdict = outcome(self.results)
        if state == "running":
            head = f"checking {len(self.results)}/{total} ..."
        elif state == "cancelled":
            head = f"**Cancelled after {len(self.results)} of {total} checks**; nothing was recorded."
        elif verdict in (PASS, FAIL):
            head = f"**{passed}/{total} checks passed.**"
        else:
            why = refusal(self.results) or "no answer in time"
            head = f"**{passed}/{total} checks passed, {unjudged} not judged**: {why}; nothing recorded"
        self.query_one("#lab-results", Markdown).update(head + "\n\n" + "\n".join(lines))
        if state == "done":
            self.status(
                {
                    PASS: "all checks pass: well done",
                    FAIL: "not yet: see what the checks saw",
                    NOT_JUDGED: "not judged: the real tools cannot be trusted here (see the checks)"
                    if refusal(self.results)
                    else "not judged: the target did not answer in time; press c to check again",
                }[verdict]
            )


def explanation(results: list[CheckResult]) -> Text:
    """The commands each check ran on the target and what they returned, as plain text that wraps
    (nothing cut at the screen's edge): exam material, and the way to see why a verdict is what it
    is (``lpic3 lab check --explain`` prints the same)."""
    text = Text()
    text.append("The commands the checks ran (e hides them)\n", "bold")
    for r in results:
        text.append(f"\n{MARKS[r.outcome]} {r.check.id} ({r.check.probe}): expected {r.verdict.expected}\n", "bold")
        for line in [line for ran in r.commands for line in ran.lines()] or ["(no command)"]:
            text.append(line + "\n")
    return text
