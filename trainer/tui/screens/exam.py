"""The mock exam: 60 questions, a countdown, a navigator, flags, a review before submitting.

The exam's state is the progress store's, not this screen's: every answer, flag and move is saved
at once with the time left (an answer and a flag each in their own column, so neither overwrites the
other), the clock every few seconds, and what is shown is read back from the store. An exam
interrupted by a crash or kill -9 resumes where it was with the time it had left, and a second
window on the same data folder sees the same exam; whichever submits grades what the store holds,
exactly once.

A fill-in answer is typed only after the learner asks (i, Enter or a click) and Escape leaves it, so
the keys that move around the exam never land in an answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Header, Input, Static

from trainer.curriculum.model import Curriculum
from trainer.study.exam import ExamPaper
from trainer.study.grading import Response
from trainer.study.store import ExamClosed, Store
from trainer.study.submission import SubmittedExam, stored_result, submit_exam
from trainer.tui.widgets.question import ANSWER_BINDINGS, QuestionView

SAVE_EVERY = 5.0
# Actions that make no sense while the cursor is in a fill-in field (their keys are typed there anyway).
_NOT_WHILE_TYPING = {"go", "flag", "review", "type_answer", "pause", "quit_exam"}


def clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


class ExamScreen(Screen[None]):
    # Nothing but a fill-in field takes the focus: keys reach this screen, which handles them one at
    # a time, each after the question the one before it brought up is on screen (moves are awaited).
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        *ANSWER_BINDINGS,
        Binding("pageup", "scroll(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll(1)", "Scroll down", show=False),
        Binding("n,right", "go(1)", "Next", tooltip="Next question"),
        Binding("p,left", "go(-1)", "Prev", tooltip="Previous question"),
        Binding("f", "flag", "Flag", tooltip="Flag the question to come back to it"),
        Binding("r", "review", "Submit", tooltip="Review what is unanswered or flagged, then submit"),
        Binding("i,enter", "type_answer", "Type", tooltip="Type the answer of a fill-in question"),
        Binding("escape", "done_typing", "Done typing", tooltip="Leave the answer field (so does Tab)"),
        Binding("escape", "pause", "Pause", tooltip="Pause the exam: its clock stops until you resume it (e)"),
        Binding("q", "quit_exam", "Quit", tooltip="Quit lpic3 (asks first; the exam is kept to resume)"),
    ]

    def __init__(
        self, cur: Curriculum, store: Store, paper: ExamPaper, exam_id: int, remaining: float, position: int = 0
    ) -> None:
        super().__init__()
        self.cur, self.store, self.paper, self.exam_id = cur, store, paper, exam_id
        self.remaining, self.position = remaining, position
        self.responses: list[Response | None] = []
        self.flags: list[bool] = []
        self.reload()
        self.view = self._question_view()  # the question shown: the one keys act on
        self.submitted = False
        self._tick_at = time.monotonic()
        self._saved_at = time.monotonic()
        self._clock: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="exam-clock")
        yield Static("", id="navigator")
        yield Vertical(self.view, id="exam-body")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"mock exam {self.paper.seed}"
        self.update_navigator()
        self.update_clock()
        self._clock = self.set_interval(1.0, self.tick)

    def on_unmount(self) -> None:
        """Paused, quit or closed: the time left is saved (unless the exam was submitted meanwhile)."""
        if not self.submitted:
            with suppress(ExamClosed):
                self.store.save_exam_clock(self.exam_id, self.remaining, self.position)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While typing, the footer offers only what leaves the field; Enter opens a fill-in field only."""
        typing = isinstance(self.focused, Input)
        if action == "done_typing":
            return typing
        if action in _NOT_WHILE_TYPING and typing:
            return False
        if action == "type_answer":
            return self.paper.items[self.position].question.type == "fill"
        return True

    # -- the store ---------------------------------------------------------------------------------
    def _save(self, write: Callable[[], None]) -> bool:
        """Every write goes through here: an exam submitted in another window ends this one too.

        Returns whether the exam is still open (and this screen still shown).
        """
        if self.submitted:
            return False
        try:
            write()
        except ExamClosed:
            self._show_result(
                stored_result(self.cur, self.store, self.paper, self.exam_id),
                "This exam was submitted in another lpic3 window: here is its result.",
            )
            return False
        self._saved_at = time.monotonic()
        return True

    def reload(self) -> None:
        """What the store holds for this exam (another window may have changed it)."""
        saved = self.store.exam_answers(self.exam_id)
        count = len(self.paper.items)
        self.responses = [saved.get(i, (None, False))[0] for i in range(count)]
        self.flags = [saved.get(i, (None, False))[1] for i in range(count)]

    # -- time --------------------------------------------------------------------------------------
    def tick(self) -> None:
        now = time.monotonic()
        self.remaining = max(0.0, self.remaining - (now - self._tick_at))
        self._tick_at = now
        if now - self._saved_at >= SAVE_EVERY and not self._save(
            lambda: self.store.save_exam_clock(self.exam_id, self.remaining, self.position)
        ):
            return
        self.update_clock()
        if self.remaining <= 0:
            self.submit("Time is up: the exam was submitted.")

    def update_clock(self) -> None:
        answered = sum(r is not None for r in self.responses)
        self.query_one("#exam-clock", Static).update(
            f"[b]{clock(self.remaining)}[/b] left · {answered}/{len(self.responses)} answered · "
            f"{sum(self.flags)} flagged"
        )

    # -- showing -----------------------------------------------------------------------------------
    def _question_view(self) -> QuestionView:
        flag = " [reverse] FLAGGED [/reverse]" if self.flags[self.position] else ""
        number = f"Question {self.position + 1} of {len(self.paper.items)}{flag}"
        return QuestionView(self.paper.items[self.position], number, self.responses[self.position], focus_input=False)

    async def show(self) -> None:
        """The question at ``position`` as the store holds it, in place once this returns."""
        self.reload()
        body = self.query_one("#exam-body", Vertical)
        await body.remove_children()
        self.view = self._question_view()
        await body.mount(self.view)
        self.update_navigator()
        self.update_clock()
        self.refresh_bindings()

    def update_navigator(self) -> None:
        cells = []
        for i, response in enumerate(self.responses):
            style = "reverse" if i == self.position else ("green" if response is not None else "dim")
            mark = "!" if self.flags[i] else " "
            cells.append(f"[@click=screen.jump({i})][{style}]{i + 1:>2}{mark}[/][/]")
        self.query_one("#navigator", Static).update("".join(cells))

    # -- answering ---------------------------------------------------------------------------------
    def record(self, view: QuestionView) -> None:
        """Save the answer ``view`` holds, if it is not what was saved (the view may be gone by now)."""
        response, position = view.response, self.paper.items.index(view.item)
        if response == self.responses[position] or not self._save(
            lambda: self.store.save_exam_response(self.exam_id, position, response, self.remaining)
        ):
            return
        self.responses[position] = response
        self.update_navigator()
        self.update_clock()

    def on_question_view_changed(self, event: QuestionView.Changed) -> None:
        """A click or a typed character (a key's pick is recorded at once, below)."""
        self.record(event.view)

    async def on_question_view_submitted(self) -> None:
        """Enter in a fill-in field: the answer is saved already; on to the next question."""
        await self.action_go(1)

    def action_pick(self, position: int) -> None:
        self.view.toggle(position)
        self.record(self.view)  # before the next key: a flag or a move right after it reads the store

    def action_pick_cursor(self) -> None:
        self.action_pick(self.view.cursor)

    def action_move(self, step: int) -> None:
        self.view.move(step)

    def action_scroll(self, pages: int) -> None:
        self.view.scroll_pages(pages)

    async def action_go(self, step: int) -> None:
        await self.action_jump(min(max(self.position + step, 0), len(self.paper.items) - 1))

    async def action_jump(self, position: int) -> None:
        self.position = position
        if self._save(lambda: self.store.save_exam_clock(self.exam_id, self.remaining, position)):
            await self.show()

    async def action_flag(self) -> None:
        flagged, position = not self.flags[self.position], self.position
        if self._save(lambda: self.store.save_exam_flag(self.exam_id, position, flagged, self.remaining)):
            await self.show()

    def action_type_answer(self) -> None:
        self.view.focus_answer()

    def action_done_typing(self) -> None:
        self.set_focus(None)

    def action_pause(self) -> None:
        self.notify("Exam paused. The clock stops until you resume it from Home (key e).")
        self.app.pop_screen()

    def action_quit_exam(self) -> None:
        def quit_if_sure(sure: bool | None) -> None:
            if sure:
                self.app.exit()

        self.app.push_screen(QuitExamScreen(self.remaining), quit_if_sure)

    def action_review(self) -> None:
        self.app.push_screen(SubmitScreen(self.responses, self.flags), self._after_review)

    async def _after_review(self, choice: int | None) -> None:
        if choice == -1:
            self.submit("The exam was submitted.")
        elif choice is not None:
            await self.action_jump(choice)

    # -- submitting --------------------------------------------------------------------------------
    def submit(self, message: str) -> None:
        """Grade what the store holds for this exam and show the result; once, whatever asks for it."""
        if self.submitted:
            return
        try:
            submitted = submit_exam(self.cur, self.store, self.paper, self.exam_id, self.remaining)
        except ExamClosed:
            submitted = stored_result(self.cur, self.store, self.paper, self.exam_id)
            message = "This exam was already submitted in another lpic3 window: here is its result."
        self._show_result(submitted, message)

    def _show_result(self, submitted: SubmittedExam, message: str) -> None:
        """Close any dialog over the exam (the review, the quit question) and put the result in its place."""
        from trainer.tui.screens.results import ResultScreen

        self.submitted = True
        if self._clock is not None:
            self._clock.stop()
        while self.app.screen is not self:
            self.app.pop_screen()
        self.app.switch_screen(ResultScreen(self.cur, self.paper, submitted.responses, submitted.result))
        self.notify(message)


class SubmitScreen(ModalScreen[int | None]):
    """The review before submitting: what is unanswered or flagged; jump there or submit."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Back to the exam")]

    def __init__(self, responses: list[Response | None], flags: list[bool]) -> None:
        super().__init__()
        self.responses, self.flags = responses, flags

    def compose(self) -> ComposeResult:
        blank = [i for i, r in enumerate(self.responses) if r is None]
        flagged = [i for i, f in enumerate(self.flags) if f]

        def links(positions: list[int]) -> str:
            return " ".join(f"[@click=screen.pick({i})]{i + 1}[/]" for i in positions) or "none"

        with Vertical(id="submit-box"):
            yield Static(
                f"[b]Review before submitting[/b]\n\n"
                f"Answered: {len(self.responses) - len(blank)} of {len(self.responses)}\n"
                f"Unanswered: {links(blank)}\nFlagged: {links(flagged)}\n\n"
                "Click a number to go back to it.",
                id="submit-summary",
            )
            yield Button("Submit the exam", variant="error", id="submit")
            yield Button("Back to the exam", id="back")

    def action_pick(self, position: int) -> None:
        self.dismiss(position)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(-1 if event.button.id == "submit" else None)


class QuitExamScreen(ModalScreen[bool]):
    """Asked before ``q`` quits lpic3 during an exam: nothing is lost, and where to find it again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "leave", "Quit lpic3"),
        Binding("escape", "stay", "Back to the exam"),
    ]

    def __init__(self, remaining: float) -> None:
        super().__init__()
        self.remaining = remaining

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Static(
                "[b]Quit lpic3 during the exam?[/b]\n\n"
                f"Your answers are saved and the exam keeps the {clock(self.remaining)} it has left: its clock "
                "stops until you resume it from Home (key e).",
                id="quit-summary",
            )
            yield Button("Quit lpic3 (q)", variant="error", id="quit")
            yield Button("Back to the exam", variant="primary", id="stay")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def action_leave(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")
