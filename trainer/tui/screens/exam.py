"""The mock exam: 60 questions, a countdown, a navigator, flags, a review before submitting.

Every answer, flag and move is saved at once with the time left, and the clock every few seconds,
so an exam interrupted by a crash or kill -9 resumes where it was with the time it had left.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, Static

from trainer.curriculum.model import Curriculum
from trainer.study.exam import ExamPaper
from trainer.study.grading import Response
from trainer.study.scoring import score_exam
from trainer.study.store import Store
from trainer.tui.widgets.question import ANSWER_BINDINGS, QuestionView

SAVE_EVERY = 5.0


class ExamScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ANSWER_BINDINGS,
        Binding("n,right", "go(1)", "Next"),
        Binding("p,left", "go(-1)", "Previous"),
        Binding("f", "flag", "Flag"),
        Binding("r", "review", "Review & submit"),
        Binding("i", "type_answer", "Type answer", show=False),
        Binding("escape", "leave", "Pause"),
    ]

    def __init__(
        self,
        cur: Curriculum,
        store: Store,
        paper: ExamPaper,
        exam_id: int,
        remaining: float,
        position: int = 0,
        answers: dict[int, tuple[Response | None, bool]] | None = None,
    ) -> None:
        super().__init__()
        self.cur, self.store, self.paper, self.exam_id = cur, store, paper, exam_id
        self.remaining, self.position = remaining, position
        answers = answers or {}
        self.responses: list[Response | None] = [answers.get(i, (None, False))[0] for i in range(len(paper.items))]
        self.flags: list[bool] = [answers.get(i, (None, False))[1] for i in range(len(paper.items))]
        self._tick_at = time.monotonic()
        self._saved_at = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="exam-clock")
        yield Static("", id="navigator")
        yield Vertical(id="exam-body")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"mock exam {self.paper.seed}"
        self.show()
        self.set_interval(1.0, self.tick)

    # -- time --------------------------------------------------------------------------------------
    def tick(self) -> None:
        now = time.monotonic()
        self.remaining = max(0.0, self.remaining - (now - self._tick_at))
        self._tick_at = now
        if now - self._saved_at >= SAVE_EVERY:
            self.store.save_exam_clock(self.exam_id, self.remaining, self.position)
            self._saved_at = now
        self.update_clock()
        if self.remaining <= 0:
            self.notify("Time is up: the exam was submitted.")
            self.submit()

    def update_clock(self) -> None:
        minutes, seconds = divmod(int(self.remaining), 60)
        answered = sum(r is not None for r in self.responses)
        self.query_one("#exam-clock", Static).update(
            f"[b]{minutes:02d}:{seconds:02d}[/b] left · {answered}/{len(self.responses)} answered · "
            f"{sum(self.flags)} flagged"
        )

    # -- showing -----------------------------------------------------------------------------------
    def show(self) -> None:
        body = self.query_one("#exam-body", Vertical)
        body.remove_children()
        item = self.paper.items[self.position]
        flag = " [reverse] FLAGGED [/reverse]" if self.flags[self.position] else ""
        body.mount(
            QuestionView(
                item, f"Question {self.position + 1} of {len(self.paper.items)}{flag}", self.responses[self.position]
            )
        )
        self.update_navigator()
        self.update_clock()

    def update_navigator(self) -> None:
        cells = []
        for i, response in enumerate(self.responses):
            style = "reverse" if i == self.position else ("green" if response is not None else "dim")
            mark = "!" if self.flags[i] else " "
            cells.append(f"[@click=screen.jump({i})][{style}]{i + 1:>2}{mark}[/][/]")
        self.query_one("#navigator", Static).update("".join(cells))

    @property
    def view(self) -> QuestionView:
        return self.query_one(QuestionView)

    # -- answering ---------------------------------------------------------------------------------
    def on_question_view_changed(self) -> None:
        self.responses[self.position] = self.view.response
        self.save()
        self.update_navigator()
        self.update_clock()

    def on_question_view_submitted(self) -> None:
        self.action_go(1)

    def save(self) -> None:
        self.store.save_exam_answer(
            self.exam_id, self.position, self.responses[self.position], self.flags[self.position], self.remaining
        )
        self._saved_at = time.monotonic()

    def action_pick(self, position: int) -> None:
        self.view.toggle(position)

    def action_pick_cursor(self) -> None:
        self.view.toggle(self.view.cursor)

    def action_move(self, step: int) -> None:
        self.view.move(step)

    def action_go(self, step: int) -> None:
        self.action_jump(min(max(self.position + step, 0), len(self.paper.items) - 1))

    def action_jump(self, position: int) -> None:
        self.position = position
        self.store.save_exam_clock(self.exam_id, self.remaining, self.position)
        self.show()

    def action_flag(self) -> None:
        self.flags[self.position] = not self.flags[self.position]
        self.save()
        self.show()

    def action_type_answer(self) -> None:
        for field in self.query(Input):
            field.focus()

    def action_leave(self) -> None:
        """Escape first leaves the fill-in field (so n, p, f and r work), then pauses the exam."""
        if isinstance(self.focused, Input):
            self.set_focus(None)
            return
        self.store.save_exam_clock(self.exam_id, self.remaining, self.position)
        self.notify("Exam paused. The clock stops until you resume it from Home (key e).")
        self.app.pop_screen()

    def action_review(self) -> None:
        self.app.push_screen(SubmitScreen(self.responses, self.flags), self._after_review)

    def _after_review(self, choice: int | None) -> None:
        if choice == -1:
            self.submit()
        elif choice is not None:
            self.action_jump(choice)

    def submit(self) -> None:
        result = score_exam(self.cur, self.paper, self.responses)
        graded = [
            (item.question.id, item.question.objective, ok, response)
            for item, ok, response in zip(self.paper.items, result.correct, self.responses, strict=True)
        ]
        self.store.finish_exam(self.exam_id, result.to_json(), graded, self.remaining)
        from trainer.tui.screens.results import ResultScreen

        self.app.switch_screen(ResultScreen(self.cur, self.paper, self.responses, result))


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
