"""Every key, in one place. Built from the screens' own bindings so it never goes stale."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Markdown


def _rows(bindings: list[BindingType]) -> list[str]:
    rows = []
    for binding in bindings:
        if isinstance(binding, Binding):  # the tooltip where the footer's word is too short to explain
            keys, text = binding.key, binding.tooltip or binding.description
        else:
            keys, text = binding[0], binding[2] if len(binding) > 2 else binding[1]
        shown = " ".join(f"`{format_key(key)}`" for key in keys.split(","))  # as typed: ?, not question_mark
        rows.append(f"| {shown} | {text} |")
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        from trainer.tui.app import TrainerApp
        from trainer.tui.screens.exam import ExamScreen
        from trainer.tui.screens.home import HomeScreen
        from trainer.tui.screens.lab import LabScreen
        from trainer.tui.screens.lesson import LessonScreen
        from trainer.tui.screens.practice import PracticeScreen
        from trainer.tui.screens.results import ResultScreen

        sections = [
            ("Everywhere", TrainerApp.BINDINGS),
            ("Home", HomeScreen.BINDINGS),
            ("Lesson", LessonScreen.BINDINGS),
            ("Practice and review", PracticeScreen.BINDINGS),
            ("Mock exam", ExamScreen.BINDINGS),
            ("Exam results", ResultScreen.BINDINGS),
            ("Lab", LabScreen.BINDINGS),
        ]
        text = ["# Keys", "", "The mouse works too: click options, buttons and exam numbers.", ""]
        for title, bindings in sections:
            text += [f"## {title}", "", "| keys | does |", "| --- | --- |", *_rows(bindings), ""]
        text.append("`ctrl+p` opens the command palette: every objective, lesson and action by name.")
        with VerticalScroll(id="help-box"):
            yield Markdown("\n".join(text))
