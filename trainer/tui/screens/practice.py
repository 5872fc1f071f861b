"""Practice and spaced review: one question at a time, immediate feedback with the explanation.

Every answer goes to the progress store and reschedules the question's review card: a wrong answer
comes back in minutes, a right one later (1 = it was hard, Enter or 2 = good, 3 = easy).
"""

from __future__ import annotations

import random
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static

from trainer.curriculum.model import Question
from trainer.curriculum.questions import LETTERS
from trainer.study.explain import explanation_for
from trainer.study.grading import grade
from trainer.study.practice import as_item
from trainer.study.review import Recall, schedule
from trainer.study.store import Store
from trainer.tui.widgets.question import ANSWER_BINDINGS, QuestionView


class PracticeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ANSWER_BINDINGS,
        Binding("enter", "submit", "Answer / next"),
        Binding("1", "rate(1)", "Hard", show=False),
        Binding("2", "rate(2)", "Good", show=False),
        Binding("3", "rate(3)", "Easy", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(
        self, title: str, questions: list[Question], store: Store, mode: str = "practice", seed: int | None = None
    ) -> None:
        super().__init__()
        self.title_text, self.questions, self.store, self.mode = title, questions, store, mode
        self.rng = random.Random(seed)
        self.index = 0
        self.view: QuestionView | None = None  # the question on screen; None once all are done
        self.answered = False
        self.right = 0
        self.last_correct = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="practice-status")
        yield Vertical(id="practice-body")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.title_text
        self.show_question()

    def show_question(self) -> None:
        body = self.query_one("#practice-body", Vertical)
        body.remove_children()
        self.view, self.answered = None, False
        if self.index >= len(self.questions):
            total = len(self.questions)
            body.mount(
                Static(f"[b]Done.[/b] {self.right} of {total} right. Press Escape to go back.", id="practice-done")
            )
            self.query_one("#practice-status", Static).update("")
            return
        self.view = QuestionView(
            as_item(self.questions[self.index], self.rng), f"{self.index + 1}/{len(self.questions)}"
        )
        body.mount(self.view)
        self.query_one("#practice-status", Static).update(
            f"{self.mode}: {self.right} right so far · A-E pick · Enter answer"
        )

    # Every action below checks ``self.view``: on the "Done." page there is no question to act on.

    def action_pick(self, position: int) -> None:
        if self.view is not None and not self.answered:
            self.view.toggle(position)

    def action_pick_cursor(self) -> None:
        if self.view is not None and not self.answered:
            self.view.toggle(self.view.cursor)

    def action_move(self, step: int) -> None:
        if self.view is not None:
            self.view.move(step)

    def on_question_view_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        view = self.view
        if view is None:
            return
        if self.answered:
            self.action_rate(2)
            return
        response = view.response
        if response is None:
            self.notify("Pick an answer first (A-E), or type it.", severity="warning")
            return
        question = view.item.question
        correct = grade(question, response)
        self.answered, self.last_correct = True, correct
        self.right += correct
        view.freeze_answer()
        self.store.record_answer(question.id, question.objective, self.mode, correct, response)
        if question.type == "fill":
            expected = " or ".join(f"`{a}`" for a in question.accept)
        else:
            expected = ", ".join(LETTERS[p] for p in view.item.displayed_answer())
        verdict = "**Right.**" if correct else f"**Not quite.** The answer is {expected}."
        rate = "Enter: next · 1 hard · 2 good · 3 easy" if correct else "Enter: next"
        self.query_one("#practice-body", Vertical).mount(
            Markdown(f"{verdict}\n\n{explanation_for(view.item)}\n\n*{rate}*", classes="feedback")
        )
        self.query_one("#practice-status", Static).update(f"{self.mode}: {self.right} right so far")

    def action_rate(self, level: int) -> None:
        if self.view is None or not self.answered:
            return
        question = self.view.item.question
        recall = Recall.WRONG if not self.last_correct else {1: Recall.HARD, 2: Recall.GOOD, 3: Recall.EASY}[level]
        schedule(self.store, question.id, recall)
        self.index += 1
        self.show_question()
