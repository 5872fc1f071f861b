"""Home: the 13 objectives grouped by topic with what the learner has done in each, a readiness
summary, and the way to everything else (lesson, practice, mock exam, review, history)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import Severity
from trainer.study.progress import ObjectiveProgress, last_exam_score, objective_progress
from trainer.study.store import LabAttempts, Store


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,l", "lesson", "Lesson"),
        Binding("p", "practice", "Practice"),
        Binding("a", "app.practice('all')", "Practise all", show=False),
        Binding("e", "app.exam", "Mock exam"),
        Binding("r", "app.review", "Review"),
        Binding("h", "app.history", "History"),
        Binding("x", "labs", "Labs"),
    ]

    def __init__(self, curriculum: Curriculum, store: Store) -> None:
        super().__init__()
        self.curriculum, self.store = curriculum, store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary")
        table = DataTable(id="objectives", cursor_type="row", zebra_stripes=False)
        table.add_columns("id", "objective", "wt", "lesson", "answered", "acc", "due", "labs")
        yield table
        yield Footer()

    def on_screen_resume(self) -> None:
        """Shown first or again (after practice, an exam, a lab): the figures may have changed."""
        self.refresh_rows()

    def refresh_rows(self) -> None:
        cur = self.curriculum
        rows = {r.objective: r for r in objective_progress(cur, self.store)}
        self.passed_labs = LabAttempts(self.store).passed_exercises()
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for topic in cur.topics:
            table.add_row(
                f"[b]{topic.id}[/b]", f"[b]{topic.title}[/b]", "", "", "", "", "", "", key=f"topic:{topic.id}"
            )
            for oid in topic.objectives:
                table.add_row(*self._cells(oid, rows[oid]), key=oid)
        table.move_cursor(row=keep if keep > 0 else 1)
        self.query_one("#summary", Static).update(self._summary(list(rows.values())))

    def _cells(self, oid: str, row: ObjectiveProgress) -> tuple[str, ...]:
        cur = self.curriculum
        lesson = "read" if row.lesson_read else ("none" if oid not in cur.lessons else "")
        accuracy = "-" if row.accuracy is None else f"{row.accuracy:.0f}%"
        return (
            oid,
            cur.objectives[oid].title[:34],
            str(cur.objectives[oid].weight),
            lesson,
            f"{row.answered}/{row.questions}",
            accuracy,
            str(row.due or ""),
            str(len(cur.exercises_for(oid))),
        )

    def _summary(self, rows: list[ObjectiveProgress]) -> str:
        cur = self.curriculum
        weighted = [(r.weight, r.accuracy) for r in rows if r.accuracy is not None]
        total_weight = sum(w for w, _ in weighted)
        readiness = (
            (
                f"weighted accuracy {sum(w * a for w, a in weighted) / total_weight:.0f} % on "
                f"{total_weight}/{cur.exam.questions} exam weight practised"
            )
            if weighted
            else "no answers yet"
        )
        text = (
            f"Readiness: {readiness} · {sum(r.due for r in rows)} reviews due today · "
            f"{len(cur.lessons)} lessons, {len(cur.questions)} questions, {len(cur.exercises)} labs"
        )
        last = last_exam_score(self.store)
        if last:
            text += (
                f"\nLast mock exam: {last['correct']}/{last['total']} ({last['percent']} %), "
                f"estimated score {last['scaled_estimate']}"
            )
        unfinished = self.store.unfinished_exam()
        if unfinished:
            minutes = int(unfinished.remaining // 60)
            text += f"\n[b]An unfinished mock exam has {minutes} min left: press e to resume it.[/b]"
        errors = sum(p.severity is Severity.ERROR for p in cur.problems)
        if errors:
            text += f"\n[red]{errors} content errors: some items were left out (run `lpic3 lint`).[/red]"
        return text

    def highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key is None or key.startswith("topic:") else key

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_lesson()

    def action_lesson(self) -> None:
        oid = self.highlighted()
        if oid:
            self.app.open_lesson(oid)  # type: ignore[attr-defined]

    def action_labs(self) -> None:
        self.app.open_labs(self.highlighted())  # type: ignore[attr-defined]

    def action_practice(self) -> None:
        oid = self.highlighted()
        if oid:
            self.app.action_practice(oid)  # type: ignore[attr-defined]
