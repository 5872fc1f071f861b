"""The lesson viewer: the lesson's text with its contents; remembers how far you read.

Wide terminals show the contents beside the text. Narrow ones (under ``WIDE`` columns, such as
80x24) give the text the whole width and show the contents over it on ``c``: a lesson is readable
there without pressing anything. The text appears a screenful at a time (see ``LessonText``).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree
from textual.widgets.tree import TreeNode

from trainer.curriculum.model import Lesson
from trainer.study.store import Store
from trainer.tui.widgets.lesson_text import LessonText, Section, parts_of, sections_of

WIDE = 100  # columns from which the contents have room beside the text


class LessonScreen(Screen[None]):
    AUTO_FOCUS = "#lesson-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "close", "Back"),
        Binding("c", "toggle_contents", "Contents"),
    ]

    def __init__(self, lesson: Lesson, store: Store | None = None, position: float = 0.0) -> None:
        super().__init__()
        self.lesson, self.store, self.position = lesson, store, position
        self.loaded = False  # every part of the text is laid out
        self._wide: bool | None = None
        self.sections: list[Section] = []
        self.show_contents = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Container(id="lesson-body"):
            yield Tree[int]("contents", id="contents")
            yield LessonText(id="lesson-text")
        yield Static("", id="lesson-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.lesson.objective} {self.lesson.title}"
        tree = self.query_one("#contents", Tree)
        tree.show_root = False
        tree.auto_expand = False  # Enter jumps to a heading; it does not fold its subheadings away
        self._fit(self.size.width)
        self._load_text()

    @work(exclusive=True, group="lesson-render")
    async def _load_text(self) -> None:
        """Show the lesson a part at a time (the first one at once), going back to where the reader was."""
        body = self.lesson.body
        self.sections = sections_of(body)
        await self.query_one(LessonText).show(body, parts_of(body, self.sections), self._part_shown, self.position)
        self.loaded = True

    def _part_shown(self, shown: int) -> None:
        if shown == 1:
            self._fill_contents()
        parts = len(self.query_one(LessonText).parts)
        status = self.query_one("#lesson-status", Static)
        status.update(f"Loading the rest of the lesson… part {shown} of {parts} shown")
        status.display = shown < parts

    def _fill_contents(self) -> None:
        """The contents as a tree: each heading under the nearest heading of a higher level."""
        tree = self.query_one("#contents", Tree)
        parents: list[tuple[int, TreeNode[int]]] = [(0, tree.root)]
        nodes = []
        for number, section in enumerate(self.sections):
            while parents[-1][0] >= section.level:
                parents.pop()
            node = parents[-1][1].add(Text(section.title), data=number, expand=True)
            parents.append((section.level, node))
            nodes.append(node)
        for node in nodes:
            node.allow_expand = bool(node.children)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Contents beside the text when wide, over it (hidden until asked for) when narrow."""
        wide = width >= WIDE
        if wide != self._wide:
            self._wide = wide
            self.set_class(not wide, "-narrow")
            self.set_contents(wide)

    def set_contents(self, shown: bool) -> None:
        """Show or hide the contents; focus never stays on hidden contents (the text takes it)."""
        self.show_contents = shown
        tree = self.query_one("#contents", Tree)
        tree.display = shown
        if not shown and tree.has_focus:
            self.query_one(LessonText).focus()

    def on_tree_node_selected(self, event: Tree.NodeSelected[int]) -> None:
        """Jump to the chosen heading; on a narrow screen the contents step aside for the text."""
        event.stop()
        text = self.query_one(LessonText)
        if event.node.data is None:
            return
        widget = text.heading_at(self.sections[event.node.data].line)
        if widget is None:
            self.notify("That part of the lesson is still loading.")
            return
        text.go_to(widget)
        if not self._wide:
            self.set_contents(False)
        text.focus()

    def reading_position(self) -> float:
        """How far down the lesson the reader is, 0 to 1 (1 at the end, or when it all fits on screen)."""
        return self.query_one(LessonText).position()

    def action_toggle_contents(self) -> None:
        """``c``: the contents appear with the cursor in them, or go away leaving it in the text."""
        self.set_contents(not self.show_contents)
        if self.show_contents:
            self.query_one("#contents", Tree).focus()

    def action_close(self) -> None:
        if self.show_contents and not self._wide:
            self.set_contents(False)
            return
        # Until the text is laid out and back at the old place, the reader's position is not known: keep the old one.
        if self.store is not None and self.query_one(LessonText).settled:
            self.store.set_lesson_position(self.lesson.objective, self.reading_position())
        self.workers.cancel_group(self, "lesson-render")
        self.app.pop_screen()
