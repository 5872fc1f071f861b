"""The lesson viewer: the Markdown lesson with its table of contents; remembers how far you read."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer

from trainer.curriculum.model import Lesson
from trainer.study.store import Store


class LessonScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "close", "Back"),
        Binding("c", "toggle_toc", "Contents"),
    ]

    def __init__(self, lesson: Lesson, store: Store | None = None, position: float = 0.0) -> None:
        super().__init__()
        self.lesson, self.store, self.position = lesson, store, position

    def compose(self) -> ComposeResult:
        yield Header()
        yield MarkdownViewer(self.lesson.body, show_table_of_contents=True, open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.lesson.objective} {self.lesson.title}"
        if self.position:
            self.call_after_refresh(self._restore)

    def _restore(self) -> None:
        viewer = self.query_one(MarkdownViewer)
        viewer.scroll_to(y=self.position * viewer.max_scroll_y, animate=False)

    def reading_position(self) -> float:
        """How far down the lesson the reader is, 0 to 1 (1 when it all fits on screen)."""
        viewer = self.query_one(MarkdownViewer)
        return 1.0 if viewer.max_scroll_y <= 0 else min(1.0, viewer.scroll_y / viewer.max_scroll_y)

    def action_toggle_toc(self) -> None:
        viewer = self.query_one(MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents

    def action_close(self) -> None:
        if self.store is not None:
            self.store.set_lesson_position(self.lesson.objective, self.reading_position())
        self.app.pop_screen()
