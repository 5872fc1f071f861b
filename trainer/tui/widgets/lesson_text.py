"""A lesson's text, shown progressively, and reading positions that survive a change of layout.

Textual lays out a long Markdown document (about 900 widgets for a 40 KB lesson) in one go: 7-8 s
on a busy machine before the first line showed. Here the lesson is cut at headings into a few parts,
each its own Markdown widget, mounted one after the other with a repaint in between: the first part
(about a screenful) is readable at once and keys work while the rest arrives.

Reading positions are kept in lines of the lesson's source, not in screen rows: a fraction of the
scroll height means another place as soon as the width or the contents pane changes (the "off by a
section" fault). Each Markdown block knows the source lines it came from; that maps lines to rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Markdown, Static

from trainer.curriculum.lessons import body_headings

# Source lines in the first part (about a screen: shown at once), then at least this many per part.
FIRST_PART_LINES = 20
PART_LINES = 250


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of the lesson: what the contents list."""

    level: int
    title: str
    line: int  # where it starts in the lesson body, counted from 0


@dataclass(frozen=True, slots=True)
class Part:
    """Consecutive whole sections of the lesson, shown as one Markdown widget."""

    first_line: int
    text: str


def sections_of(body: str) -> list[Section]:
    """The lesson's headings (the curriculum's own scan, so never a line inside code)."""
    return [Section(h.level, h.text.replace("`", ""), h.line) for h in body_headings(body)]


def parts_of(body: str, sections: list[Section]) -> list[Part]:
    """Cut the body at headings: a short first part, then parts of at least ``PART_LINES`` lines."""
    lines = body.splitlines(keepends=True)
    cuts, limit = [0], FIRST_PART_LINES
    for section in sections:
        if section.line - cuts[-1] >= limit:
            cuts.append(section.line)
            limit = PART_LINES
    cuts.append(len(lines))
    return [Part(start, "".join(lines[start:end])) for start, end in pairwise(cuts) if end > start]


class LessonText(VerticalScroll):
    """The lesson's parts in one scrolling column that keeps the reader's place.

    The place (a position in source lines) is remembered as the reader scrolls; when the width
    changes (contents shown or hidden, terminal resized) the text reflows and the view goes back
    to that place instead of staying at a row that now holds something else.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.parts: list[Part] = []
        self.total_lines = 1
        self.complete = False  # every part is laid out
        self._target: float | None = None  # a place to show as soon as the text around it is laid out
        self._anchor: tuple[int, float] | None = None  # (width, position) of the top of the view

    def compose(self) -> ComposeResult:
        """A sign of work from the first frame (cheaper than an animated indicator: no timer to paint)."""
        yield Static("Loading the lesson…", id="lesson-placeholder")

    def on_mount(self) -> None:
        self.watch(self, "scroll_y", self._remember_place, init=False)

    def watch_has_focus(self, has_focus: bool) -> None:
        """Restyle only this widget on focus changes.

        Textual restyles every descendant when a widget gains or loses focus; nothing in a lesson
        depends on that, and for ~900 widgets it froze the screen for about a second at each switch
        between the text and the contents.
        """
        self.app.stylesheet.update_nodes([self], animate=True)

    async def show(self, body: str, parts: list[Part], progress: Callable[[int], None], position: float = 0.0) -> None:
        """Mount the parts one at a time, repainting in between; ``progress(parts shown)`` after each.

        ``position`` (a reading position) is shown as soon as the text around it is laid out.
        """
        self.parts = parts
        self.total_lines = max(1, len(body.splitlines()))
        self._target = position or None
        for shown, part in enumerate(parts, 1):
            await self.mount(Markdown(part.text, open_links=False, classes="part"))
            if shown == 1:
                await self.query_one("#lesson-placeholder").remove()
            await self.repainted()
            if not self.is_attached:
                return  # the reader left
            self.complete = shown == len(parts)
            self._go_to_target()
            progress(shown)

    @property
    def settled(self) -> bool:
        """All laid out, with the view where it should be: its position is the reader's."""
        return self.complete and self._target is None

    def _remember_place(self) -> None:
        if self._target is None and (self._anchor is None or self._anchor[0] == self.size.width):
            self._anchor = (self.size.width, self.position())

    def on_resize(self, event: events.Resize) -> None:
        if self._anchor is not None and self._target is None and event.size.width != self._anchor[0]:
            self._target = self._anchor[1]
            self.call_after_refresh(self._go_to_target)

    def _go_to_target(self) -> None:
        if self._target is None:
            return
        offset = self.offset_of(self._target)
        if offset is not None:
            target, self._target = self._target, None
            self.scroll_to(y=offset, animate=False, immediate=True)
            self._anchor = (self.size.width, target)

    def repainted(self) -> asyncio.Future[None]:
        """Resolves once the screen has been laid out and painted again."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def resolve() -> None:
            if not done.done():
                done.set_result(None)

        self.call_after_refresh(resolve)
        return done

    def _blocks(self) -> Iterator[tuple[int, int, int, int]]:
        """Each top-level block on screen: first and end source line, top row and height in this scroll."""
        for part, widget in zip(self.parts, self.query_children(".part"), strict=False):
            top = widget.virtual_region.y
            for block in widget.children:
                start, end = getattr(block, "source_range", (0, 0))
                region = block.virtual_region
                yield part.first_line + start, part.first_line + end, top + region.y, region.height

    def position(self) -> float:
        """Where the top of the view is, as a fraction of the lesson's source lines (1 at the end)."""
        if self.complete and (self.max_scroll_y <= 0 or self.scroll_y >= self.max_scroll_y):
            return 1.0
        line = 0.0
        for start, end, y, height in self._blocks():
            if y > self.scroll_y:
                break
            line = start + (end - start) * min(1.0, (self.scroll_y - y) / height if height else 0.0)
        return line / self.total_lines

    def offset_of(self, position: float) -> float | None:
        """The scroll offset that puts ``position`` at the top; None while that part is not laid out."""
        line = position * self.total_lines
        shown = len(self.query_children(".part"))
        if shown < len(self.parts) and line >= self.parts[shown].first_line:
            return None
        found: float | None = None
        for start, end, y, height in self._blocks():
            if start > line:
                break
            found = y + height * min(1.0, (line - start) / (end - start) if end > start else 0.0)
        if found is None or not (shown == len(self.parts) or self.virtual_size.height - found >= self.size.height):
            return None
        return found

    def go_to(self, block: Widget) -> None:
        """Show ``block`` at the top (a heading chosen in the contents); it wins over a place not yet reached."""
        self._target = None
        self.scroll_to_widget(block, top=True, animate=False)

    def heading_at(self, line: int) -> Widget | None:
        """The block that starts at ``line`` of the lesson (a heading), once it is on screen."""
        for part, widget in zip(self.parts, self.query_children(".part"), strict=False):
            for block in widget.children:
                if part.first_line + getattr(block, "source_range", (-1, -1))[0] == line:
                    return block
        return None
