"""Hands-on labs in the TUI: the list of labs, and one lab with its task, start, check, hints, reset.

Starting, checking and resetting talk to the target through one shell session kept open while
the screen is open; they run in a worker thread, so the screen stays responsive, and a running
check can be cancelled (Escape), which closes the session and abandons the command in flight.
Changing a target that is not a sandbox needs a yes in a dialog first.
"""

from __future__ import annotations

import random
import threading
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Markdown, Static

from checkers.session import SessionError, ShellSession
from checkers.targets import Target
from trainer.curriculum.model import Curriculum, Exercise
from trainer.labs.render import choose_params, render
from trainer.labs.runner import CheckResult, ScriptFailed, missing_requirements, run_check, run_script
from trainer.study.store import LabAttempts, Store


def current_target() -> Target:
    """The sandbox VM when it is up, else this machine (the same rule as `lpic3 lab`)."""
    from checkers.targets import parse_target
    from trainer.sandbox.files import SandboxFiles
    from trainer.sandbox.vm import running_pid, sandbox_target

    return sandbox_target() if running_pid(SandboxFiles.default()) else parse_target("local")


class LabListScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "sandbox_up", "Start sandbox VM"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, cur: Curriculum, store: Store, objective: str | None) -> None:
        super().__init__()
        self.cur, self.store, self.objective = cur, store, objective
        self.target = current_target()

    def labs(self) -> list[Exercise]:
        chosen = [e for e in self.cur.exercises if self.objective in (None, e.objective)]
        return chosen or list(self.cur.exercises)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="lab-list-head")
        table = DataTable(id="lab-list", cursor_type="row")
        table.add_columns("done", "lab", "objective", "needs")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "hands-on labs"
        self.refresh_rows()

    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        self.target = current_target()
        advice = "" if self.target.sandbox else " Press u to start lpic3's own sandbox VM instead."
        self.query_one("#lab-list-head", Static).update(
            f"Labs run on {self.target.description}. Enter opens one.{advice}"
        )
        passed = LabAttempts(self.store).passed_exercises()
        table = self.query_one(DataTable)
        table.clear()
        for e in self.labs():
            table.add_row("yes" if e.id in passed else "", e.title[:48], e.objective, ", ".join(e.requires), key=e.id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        exercise = next(e for e in self.cur.exercises if e.id == event.row_key.value)
        self.app.push_screen(LabScreen(exercise, self.store, self.target))

    def action_sandbox_up(self) -> None:
        from trainer.sandbox.files import SandboxFiles

        if self.target.sandbox:
            self.notify("The sandbox VM is already running.")
        elif not SandboxFiles.default().built:
            self.notify(
                "No sandbox image yet: run `sudo lpic3 sandbox build` once (about 2 minutes).",
                severity="warning",
                timeout=15,
            )
        else:
            self.notify("Starting the sandbox VM (about 20 s with TCG) ...")
            self._boot()

    @work(thread=True, exclusive=True, group="sandbox")
    def _boot(self) -> None:
        from trainer.sandbox.files import SandboxFiles
        from trainer.sandbox.vm import SandboxError, up

        try:
            seconds = up(SandboxFiles.default(), lambda _: None)
            self.app.call_from_thread(self.notify, f"The sandbox VM is ready ({seconds:.0f} s).")
        except SandboxError as exc:
            self.app.call_from_thread(self.notify, f"The sandbox did not start: {exc}", severity="error", timeout=15)
        self.app.call_from_thread(self.refresh_rows)


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


class LabScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start", "Start"),
        Binding("c", "check", "Check"),
        Binding("h", "hint", "Hint"),
        Binding("r", "reset", "Reset"),
        Binding("escape", "leave", "Back / cancel"),
    ]

    def __init__(self, exercise: Exercise, store: Store, target: Target) -> None:
        super().__init__()
        self.exercise, self.store, self.target = exercise, store, target
        self.attempts = LabAttempts(store)
        self.session: ShellSession | None = None
        self.cancelled = threading.Event()
        self.busy = False

    @property
    def attempt(self):  # type: ignore[no-untyped-def]
        return self.attempts.current(self.exercise.id, self.target.spec)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="lab-status")
        with VerticalScroll(id="lab-body"):
            yield Markdown("", id="lab-task")
            yield Markdown("", id="lab-results")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"lab {self.exercise.id}"
        self.show_task()

    def show_task(self) -> None:
        attempt = self.attempt
        values = attempt.params if attempt else {}
        text = render(self.exercise.task, values) if attempt else self.exercise.task
        started = "started" if attempt else "not started: press s to set it up"
        self.query_one("#lab-task", Markdown).update(f"# {self.exercise.title}\n\n{text.strip()}")
        self.status(f"{self.target.description} · {started}")

    def status(self, text: str) -> None:
        self.query_one("#lab-status", Static).update(text)

    def shell(self) -> ShellSession:
        if self.session is None:
            self.session = self.target.session()
        return self.session

    # -- actions -----------------------------------------------------------------------------------
    def action_start(self) -> None:
        self._with_consent("Starting this lab runs its setup", self._start)

    def action_reset(self) -> None:
        if self.attempt is None:
            self.notify("Nothing to reset: the lab was not started.")
            return
        if self.target.spec == "sandbox" and not self.busy:
            answers = {
                "lab": "Reset the lab (its reset script, a second)",
                "machine": "Reset the whole sandbox (a clean machine, about 20 s)",
                "no": "Cancel",
            }
            question = "Reset what? The sandbox reset also undoes anything else done in the VM."
            self.app.push_screen(Choose(question, answers), self._reset_chosen)
            return
        self._with_consent("Resetting removes what the lab and you made", self._reset)

    def _reset_chosen(self, answer: str | None) -> None:
        if answer == "lab":
            self._reset()
        elif answer == "machine":
            self.busy = True
            self.status("resetting the sandbox VM: dropping its overlay and booting a clean machine ...")
            self._reset_machine()

    def action_check(self) -> None:
        if self.attempt is None:
            self.notify("Start the lab first (s).", severity="warning")
            return
        if not self.busy:
            self.busy = True
            self.cancelled.clear()
            self.status("checking ... (Escape cancels)")
            self._check(self.attempt.id, self.attempt.params)

    def action_hint(self) -> None:
        attempt = self.attempt
        if attempt is None or not self.exercise.hints:
            self.notify("No hints here; a failing check shows its own hint.")
            return
        shown = min(self.attempts.next_hint(attempt.id), len(self.exercise.hints))
        hints = "\n\n".join(
            f"**Hint {n}.** {render(h, attempt.params)}" for n, h in enumerate(self.exercise.hints[:shown], 1)
        )
        self.query_one("#lab-results", Markdown).update(hints)

    def action_leave(self) -> None:
        if self.busy:
            self.cancelled.set()
            if self.session is not None:
                self.session.close()  # abandons the command in flight; the worker sees the error
            self.status("cancelled")
            return
        if self.session is not None:
            self.session.close()
        self.app.pop_screen()

    def _with_consent(self, what: str, then) -> None:  # type: ignore[no-untyped-def]
        if self.busy:
            return
        if self.target.sandbox:
            then()
            return
        question = f"{what} on {self.target.description}, which is not a throw-away sandbox. Continue?"
        self.app.push_screen(Choose(question), lambda answer: then() if answer == "yes" else None)

    # -- workers -----------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="lab")
    def _start(self) -> None:
        self.busy = True
        try:
            shell = self.shell()
            missing = missing_requirements(self.exercise, shell)
            if missing:
                self.app.call_from_thread(
                    self.notify, "Cannot run here: " + "; ".join(missing), severity="error", timeout=15
                )
                return
            values = choose_params(self.exercise, random.Random())
            run_script(shell, "reset", self.exercise.reset, values)
            run_script(shell, "setup", self.exercise.setup, values)
            self.attempts.start(self.exercise.id, self.target.spec, values)
            self.app.call_from_thread(self.show_task)
        except (ScriptFailed, SessionError) as exc:
            self.app.call_from_thread(self.notify, f"Setup failed: {exc}", severity="error", timeout=15)
        finally:
            self.busy = False

    @work(thread=True, exclusive=True, group="lab")
    def _reset(self) -> None:
        self.busy = True
        attempt = self.attempt
        try:
            run_script(self.shell(), "reset", self.exercise.reset, attempt.params if attempt else {})
            self.app.call_from_thread(self.notify, "Lab reset.")
        except (ScriptFailed, SessionError) as exc:
            self.app.call_from_thread(self.notify, f"Reset failed: {exc}", severity="error", timeout=15)
        finally:
            self.busy = False

    @work(thread=True, exclusive=True, group="lab")
    def _reset_machine(self) -> None:
        from trainer.sandbox.files import SandboxFiles
        from trainer.sandbox.vm import SandboxError
        from trainer.sandbox.vm import reset as reset_sandbox

        if self.session is not None:
            self.session.close()  # its SSH connection ends with the VM
            self.session = None
        try:
            seconds = reset_sandbox(SandboxFiles.default(), lambda _: None)
            self.app.call_from_thread(
                self.notify, f"The sandbox is a clean machine again ({seconds:.0f} s). Press s to set the lab up."
            )
        except SandboxError as exc:
            self.app.call_from_thread(self.notify, f"Sandbox reset failed: {exc}", severity="error", timeout=15)
        finally:
            self.busy = False
            self.app.call_from_thread(self.show_task)

    @work(thread=True, exclusive=True, group="lab")
    def _check(self, attempt_id: int, values: dict[str, str]) -> None:
        results: list[CheckResult] = []
        try:
            for check in self.exercise.checks:
                if self.cancelled.is_set():
                    return
                results.append(run_check(self.shell(), check, values))
                self.app.call_from_thread(self.show_results, results, values, False)
            passed = all(r.passed for r in results)
            self.attempts.record_check(attempt_id, passed, [r.to_json() for r in results])
            self.app.call_from_thread(self.show_results, results, values, True)
        except SessionError as exc:
            if not self.cancelled.is_set():
                self.app.call_from_thread(self.notify, str(exc), severity="error", timeout=15)
            self.session = None
        finally:
            self.busy = False

    def show_results(self, results: list[CheckResult], values: dict[str, str], done: bool) -> None:
        lines = []
        for r in results:
            mark = "PASS" if r.passed else "FAIL"
            lines.append(f"- **{mark}** `{r.check.id}`: expected {r.verdict.expected}; seen {r.verdict.seen}")
            if not r.passed:
                lines.append(f"  - hint: {render(r.check.hint, values)}")
        passed = sum(r.passed for r in results)
        total = len(self.exercise.checks)
        head = f"**{passed}/{total} checks passed.**" if done else f"checking {len(results)}/{total} ..."
        self.query_one("#lab-results", Markdown).update(head + "\n\n" + "\n".join(lines))
        if done:
            self.status(f"{self.target.description} · {'all checks pass: well done' if passed == total else 'not yet'}")
