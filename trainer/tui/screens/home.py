"""Home: the 13 objectives grouped by topic with what the learner has done in each, a readiness
summary, and the way to everything else (lesson, practice, mock exam, review, history)."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import Severity
from trainer.curriculum.quoting import shorten
from trainer.study.progress import ObjectiveProgress, last_exam_score, objective_progress
from trainer.study.review import due_later_today
from trainer.study.store import Store
from trainer.tui.widgets.paging import PagedOptionList

# A row's columns but the title (id, weight, lesson, answered, accuracy, due, labs and the spaces
# between: 40) and the list's border, padding and scroll bar (6).
ROW_FIXED = 46


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,l", "lesson", "Lesson"),
        Binding("p", "practice", "Practice"),
        Binding("a", "app.practice('all')", "Practise all", show=False),
        Binding("e", "app.exam", "Mock exam"),
        Binding("r", "app.review", "Review"),
        Binding("h", "app.history", "History"),
        Binding("x", "labs", "Labs"),
        Binding("c", "app.open_class", "Class"),
    ]

    def __init__(self, curriculum: Curriculum, store: Store) -> None:
        super().__init__()
        self.curriculum, self.store = curriculum, store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary")
        yield Static("", id="objectives-head")
        # An OptionList, not a DataTable: the same rows, with half the start-up cost (paging safe when tiny).
        yield PagedOptionList(id="objectives")
        yield Footer()

    def on_screen_resume(self) -> None:
        """Shown first or again (after practice, an exam, a lab): the figures may have changed."""
        self.refresh_rows()

    def on_mount(self) -> None:
        self.set_interval(60, self._tick)

    def _tick(self) -> None:
        """Reviews come due while Home is open: recount them every minute it is on screen."""
        if self.is_current:
            self.refresh_rows()

    def on_resize(self) -> None:
        self.refresh_rows()

    def _title_room(self) -> int:
        """Characters for an objective's title: what the window leaves beside the other columns, the
        list's border and padding and a scroll bar (``ROW_FIXED``), up to the longest title."""
        longest = max(len(o.title) for o in self.curriculum.objectives.values())
        return max(min(longest, self.app.size.width - ROW_FIXED), 20)

    def refresh_rows(self) -> None:
        cur = self.curriculum
        rows = {r.objective: r for r in objective_progress(cur, self.store)}
        room = self._title_room()
        head = f"  {'id':<6} {'objective':<{room}} {'wt':>2} {'lesson':<6} {'answered':>8} {'acc':>4} {'due':>3}"
        self.query_one("#objectives-head", Static).update(f"{head} {'labs':>4}")
        options = self.query_one(OptionList)
        keep = options.highlighted
        options.clear_options()
        for topic in cur.topics:
            options.add_option(Option(f"[b]{topic.id}   {topic.title}[/b]", id=f"topic:{topic.id}", disabled=True))
            for oid in topic.objectives:
                options.add_option(Option(self._line(oid, rows[oid], room), id=oid))
        options.highlighted = keep if keep is not None else 1
        self.query_one("#summary", Static).update(self._summary(list(rows.values())))

    def _line(self, oid: str, row: ObjectiveProgress, room: int) -> str:
        """One objective as a row: weight, lesson read, questions answered, accuracy, reviews due, labs done."""
        cur = self.curriculum
        lesson = "read" if row.lesson_read else ("none" if oid not in cur.lessons else "")
        accuracy = "-" if row.accuracy is None else f"{row.accuracy:.0f}%"
        done = f"{row.labs_passed}/{row.labs}" if row.labs else ""
        title = shorten(cur.objectives[oid].title, room)
        return (
            f"{oid:<6} {escape(title)}{' ' * (room - len(title))} {cur.objectives[oid].weight:>2} {lesson:<6} "
            f"{f'{row.answered}/{row.questions}':>8} {accuracy:>4} {row.due or '':>3} {done:>4}"
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
        hands_on = [r for r in rows if r.labs_passed]
        readiness += (
            f"; hands-on: labs passed in {len(hands_on)}/{len(rows)} objectives "
            f"({sum(r.weight for r in hands_on)}/{cur.exam.questions} exam weight)"
        )
        text = (
            f"Readiness: {readiness} · {self._reviews(rows)} · "
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

    def _reviews(self, rows: list[ObjectiveProgress]) -> str:
        """Reviews due now (they go down as they are done) and how many more come due today."""
        later = due_later_today(self.store)
        labs = sum(r.labs_due for r in rows)
        return (
            f"{sum(r.due for r in rows)} reviews due now"
            + (f" ({later} more later today)" if later else "")
            + (f" + {labs} lab(s) to do again" if labs else "")
        )

    def highlighted(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        key = options.get_option_at_index(options.highlighted).id
        return None if key is None or key.startswith("topic:") else key

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
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
