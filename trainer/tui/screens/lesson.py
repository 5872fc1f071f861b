"""The lesson viewer: the Markdown lesson with its table of contents."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer

from trainer.curriculum.model import Lesson


class LessonScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "app.pop_screen", "Back"), ("b", "app.pop_screen", "Back")]

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson

    def compose(self) -> ComposeResult:
        yield Header()
        yield MarkdownViewer(self.lesson.body, show_table_of_contents=True, open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.lesson.objective} {self.lesson.title}"
