"""Exam results: the score, the estimated scaled score (labelled as an estimate), the breakdown per
objective, then every wrong answer with its explanation."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown, Static

from trainer.curriculum.model import Curriculum
from trainer.curriculum.questions import LETTERS
from trainer.study.exam import ExamPaper
from trainer.study.explain import explanation_for
from trainer.study.grading import Response
from trainer.study.scoring import ESTIMATE_NOTE, ExamResult


class ResultScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "wrong", "Wrong answers"),
        Binding("escape", "app.pop_screen", "Home"),
    ]

    def __init__(self, cur: Curriculum, paper: ExamPaper, responses: list[Response | None], result: ExamResult) -> None:
        super().__init__()
        self.cur, self.paper, self.responses, self.result = cur, paper, responses, result

    def compose(self) -> ComposeResult:
        r = self.result
        verdict = "[green]PASS[/green]" if r.passed else "[red]FAIL[/red]"
        yield Header()
        yield Static(
            f"[b]{r.overall.correct}/{r.overall.total} correct ({r.overall.percent:.0f} %)[/b] · "
            f"estimated score [b]{r.scaled}[/b] {verdict} (pass mark {r.pass_score})\n"
            f"[dim]{ESTIMATE_NOTE}[/dim]",
            id="result-summary",
        )
        table: DataTable[str] = DataTable(id="breakdown", cursor_type="row", zebra_stripes=True)
        table.add_columns("objective", "title", "right", "%")
        for oid, tally in r.by_objective.items():
            table.add_row(
                oid, self.cur.objectives[oid].title[:40], f"{tally.correct}/{tally.total}", f"{tally.percent:.0f}"
            )
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"results of mock exam {self.paper.seed}"

    def action_wrong(self) -> None:
        self.app.push_screen(WrongAnswersScreen(self.paper, self.responses, self.result))


class WrongAnswersScreen(Screen[None]):
    """The wrong answers one at a time: each with the options as they were on the paper, both answers
    and the explanation in the paper's letters. One question per page keeps it quick (a whole exam
    in one Markdown took most of a minute to lay out on a busy machine)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,right", "step(1)", "Next"),
        Binding("p,left", "step(-1)", "Previous"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, paper: ExamPaper, responses: list[Response | None], result: ExamResult) -> None:
        super().__init__()
        self.paper, self.responses, self.result = paper, responses, result
        self.wrong = [number for number, ok in enumerate(result.correct) if not ok]  # paper positions
        self.at = 0  # which of ``wrong`` is shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._position(), id="wrong-position")
        with VerticalScroll(id="wrong-scroll"):
            yield Markdown(self._page(), id="wrong-answer")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"wrong answers of mock exam {self.paper.seed}"

    def action_step(self, step: int) -> None:
        at = min(max(self.at + step, 0), len(self.wrong) - 1)
        if at == self.at or not self.wrong:
            return
        self.at = at
        self.query_one("#wrong-position", Static).update(self._position())
        self.query_one("#wrong-answer", Markdown).update(self._page())
        self.query_one("#wrong-scroll", VerticalScroll).scroll_home(animate=False)

    def _position(self) -> str:
        if not self.wrong:
            return ""
        return f"wrong answer {self.at + 1} of {len(self.wrong)} · n next · p previous"

    def _page(self) -> str:
        """The question at ``self.at`` as Markdown."""
        if not self.wrong:
            return "No wrong answers. Well done."
        position = self.wrong[self.at]
        item, response = self.paper.items[position], self.responses[position]
        q = item.question
        if q.type == "fill":
            yours = f"`{response}`" if response else "(blank)"
            right = " or ".join(f"`{a}`" for a in q.accept)
        else:
            shown = [item.order.index(i) for i in response] if isinstance(response, tuple) else []
            yours = ", ".join(LETTERS[p] for p in sorted(shown)) or "(blank)"
            right = ", ".join(LETTERS[p] for p in item.displayed_answer())
            options = "\n".join(f"- {LETTERS[p]}. {q.options[i].strip()}" for p, i in enumerate(item.order))
            yours = f"{yours}\n\n{options}\n"
        return (
            f"## Question {position + 1} ({q.objective})\n\n{q.stem.strip()}\n\nYour answer: {yours}\n\n"
            f"Right answer: {right}\n\n{explanation_for(item)}\n"
        )
