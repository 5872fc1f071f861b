"""Past mock exams, newest last, with a small trend chart of the percentage."""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Sparkline, Static

from trainer.study.store import ExamRecord


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, exams: list[ExamRecord]) -> None:
        super().__init__()
        self.exams = exams

    def compose(self) -> ComposeResult:
        yield Header()
        percents = [float(e.result["percent"]) for e in self.exams if e.result]  # type: ignore[arg-type]
        if percents:
            yield Static(
                f"Trend over {len(percents)} exam(s): first {percents[0]:.0f} %, last {percents[-1]:.0f} %, "
                f"best {max(percents):.0f} %",
                id="trend-label",
            )
            yield Sparkline(percents, id="trend")
        else:
            yield Static("No finished mock exams yet. Press e on Home to take one.", id="trend-label")
        table: DataTable[str] = DataTable(id="exams", zebra_stripes=True)
        table.add_columns("date", "exam", "right", "%", "estimate", "time used")
        for e in reversed(self.exams):
            r = e.result or {}
            used = e.minutes * 60 - e.remaining
            table.add_row(
                time.strftime("%Y-%m-%d %H:%M", time.localtime(e.finished_at or e.started_at)),
                str(e.seed),
                f"{r.get('correct')}/{r.get('total')}",
                f"{r.get('percent')}",
                str(r.get("scaled_estimate")),
                f"{int(used // 60)} min",
            )
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "mock exam history"
