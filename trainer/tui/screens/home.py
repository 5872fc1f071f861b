"""Home: the 13 objectives grouped by topic, with what each has so far; Enter opens the lesson."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import Severity
from trainer.tui.screens.lesson import LessonScreen


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [("enter", "open", "Open lesson")]

    def __init__(self, curriculum: Curriculum) -> None:
        super().__init__()
        self.curriculum = curriculum

    def compose(self) -> ComposeResult:
        cur = self.curriculum
        yield Header()
        yield Static(self._summary(), id="summary")
        options: list[Option] = []
        for topic in cur.topics:
            options.append(Option(f"[b]{topic.id} {topic.title}[/b]", disabled=True))
            for oid in topic.objectives:
                objective = cur.objectives[oid]
                lesson = cur.lessons.get(oid)
                words = f"{lesson.word_count:>5} words" if lesson else "  no lesson"
                options.append(
                    Option(
                        f"  {oid}  {objective.title[:38]:<38} w{objective.weight:<2} {words} "
                        f"{len(cur.questions_for(oid)):>4} q {len(cur.exercises_for(oid)):>3} labs",
                        id=oid,
                    )
                )
        yield OptionList(*options, id="objectives")
        yield Footer()

    def _summary(self) -> str:
        cur = self.curriculum
        errors = sum(p.severity is Severity.ERROR for p in cur.problems)
        text = (
            f"{len(cur.lessons)} lessons, {len(cur.questions)} questions, {len(cur.exercises)} labs "
            f"for the {cur.exam.code} exam ({cur.exam.questions} questions, {cur.exam.minutes} minutes)"
        )
        if errors:
            text += f"  [b red]{errors} content errors: run `lpic3 lint`[/]"
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option.id)

    def action_open(self) -> None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is not None:
            self._open(option_list.get_option_at_index(option_list.highlighted).id)

    def _open(self, oid: str | None) -> None:
        lesson = self.curriculum.lessons.get(oid or "")
        if lesson is None:
            self.notify(f"No lesson for {oid} yet.", severity="warning")
            return
        self.app.push_screen(LessonScreen(lesson))
