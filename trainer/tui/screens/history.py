"""Past mock exams, newest first, with a bar per exam on a fixed 0-100 % scale; Enter on one shows
its results again (score, breakdown, wrong answers) from the paper and answers the store kept."""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Static

from trainer.curriculum.model import Curriculum
from trainer.study.exam import ExamPaper, rebuild_paper
from trainer.study.grading import Response
from trainer.study.scoring import ExamResult
from trainer.study.store import ExamRecord, Store
from trainer.study.submission import stored_result
from trainer.tui.screens.results import ResultScreen

BLOCKS = " ▁▂▃▄▅▆▇█"
AXIS = 6  # columns for the "100 %" / "0 %" labels


def bars(percents: list[float], width: int, height: int) -> str:
    """One bar per exam (the newest at the right, as many as fit), scaled to 0-100 %, never to the best:
    a single 12 % exam is a low bar, not a full one."""
    shown = percents[-max(0, (width - AXIS) // 2) :] if width > AXIS else []
    steps = height * (len(BLOCKS) - 1)
    filled = [round(min(max(p, 0.0), 100.0) / 100 * steps) for p in shown]
    lines = []
    for row in range(height):
        label = "100 %" if row == 0 else "0 %" if row == height - 1 else ""
        base = (height - 1 - row) * (len(BLOCKS) - 1)
        cells = " ".join(BLOCKS[min(max(f - base, 0), len(BLOCKS) - 1)] for f in filled)
        lines.append(f"{label:>{AXIS - 1}} {cells}".rstrip())
    return "\n".join(lines)


class TrendBars(Widget):
    """The bars of ``bars``, drawn for the width the widget has."""

    def __init__(self, percents: list[float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.percents = percents

    def render(self) -> RenderResult:
        return bars(self.percents, self.size.width, self.size.height)


class PastResultScreen(ResultScreen):
    """A finished exam's results again; Escape goes back to the history it was opened from."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(
        self,
        cur: Curriculum,
        paper: ExamPaper,
        responses: list[Response | None],
        result: ExamResult,
        record: ExamRecord,
    ) -> None:
        super().__init__(cur, paper, responses, result)
        self.record = record

    @classmethod
    def of(cls, cur: Curriculum, store: Store, record: ExamRecord) -> PastResultScreen:
        """Built from the stored paper and answers, graded as at submission.

        Raises KeyError naming a question of the paper that is no longer in the curriculum.
        """
        paper = rebuild_paper(cur, record.seed, record.minutes, record.paper)
        submitted = stored_result(cur, store, paper, record.id)
        return cls(cur, paper, submitted.responses, submitted.result, record)

    def on_mount(self) -> None:
        taken = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.record.finished_at or self.record.started_at))
        note = f"Mock exam of {taken}."
        recorded = self.record.result or {}
        if recorded.get("correct") != self.result.overall.correct:
            note += (
                f" [b]Recorded then: {recorded.get('correct')}/{recorded.get('total')}.[/b] Questions have changed"
                " since, so it is graded here with their answers of today."
            )
        self.mount(Static(note, id="result-note"), after="#result-summary")


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, cur: Curriculum, store: Store) -> None:
        super().__init__()
        self.cur, self.store = cur, store
        self.exams = {e.id: e for e in store.finished_exams()}

    def compose(self) -> ComposeResult:
        yield Header()
        percents = [float(str(e.result["percent"])) for e in self.exams.values() if e.result]
        if percents:
            yield Static(
                f"{len(percents)} exam(s), oldest bar at the left: first {percents[0]:.0f} %, "
                f"last {percents[-1]:.0f} %, best {max(percents):.0f} %. Enter on an exam shows its results.",
                id="trend-label",
            )
            yield TrendBars(percents, id="trend")
        else:
            yield Static("No finished mock exams yet. Press e on Home to take one.", id="trend-label")
        table: DataTable[str] = DataTable(id="exams", cursor_type="row", zebra_stripes=True)
        table.add_columns("date", "exam", "right", "%", "estimate", "time used")
        for e in reversed(self.exams.values()):
            r = e.result or {}
            used = e.minutes * 60 - e.remaining
            table.add_row(
                time.strftime("%Y-%m-%d %H:%M", time.localtime(e.finished_at or e.started_at)),
                str(e.seed),
                f"{r.get('correct')}/{r.get('total')}",
                f"{r.get('percent')}",
                str(r.get("scaled_estimate")),
                f"{int(used // 60)} min",
                key=str(e.id),
            )
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "mock exam history"

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click) on an exam: its results again."""
        if event.row_key.value is not None:
            self._open(self.exams[int(event.row_key.value)])

    def _open(self, record: ExamRecord) -> None:
        try:
            screen = PastResultScreen.of(self.cur, self.store, record)
        except KeyError as missing:
            self.notify(
                f"This exam used question {missing} that is no longer in the curriculum: its results cannot be shown.",
                severity="warning",
            )
            return
        self.app.push_screen(screen)
