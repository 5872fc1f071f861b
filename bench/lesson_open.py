"""Time from opening a lesson to its first visible text, and to the whole lesson laid out.

Compares the lesson screen with the way lessons were shown before (one MarkdownViewer holding the
whole lesson), interleaved in the same process so a busy moment of the machine hits both alike.
Headless, at 120x40 unless told otherwise; the biggest lessons by default.

    python bench/lesson_open.py [--runs N] [--size 80x24] [OBJECTIVE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Markdown, MarkdownViewer

from trainer.curriculum.cache import load_cached
from trainer.curriculum.model import Curriculum, Lesson
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.lesson import LessonScreen
from trainer.tui.widgets.lesson_text import LessonText


class OneViewerScreen(Screen[None]):
    """The lesson screen as it was: the whole lesson in one MarkdownViewer."""

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson

    def compose(self) -> ComposeResult:
        yield Header()
        yield MarkdownViewer(self.lesson.body, show_table_of_contents=True, open_links=False)
        yield Footer()


def shown(widget: Widget | None) -> bool:
    return widget is not None and bool(widget.region)


def first_block(screen: Screen[None]) -> Widget | None:
    """The first block of lesson text, once there is one (cheap: follows children, no DOM query)."""
    if isinstance(screen, LessonScreen):
        text = screen.query_one(LessonText)
        section = text.children[0] if text.children else None
        return section.children[0] if section is not None and section.children else None
    document = screen.query_one(Markdown)
    return document.children[0] if document.children else None


def complete(screen: Screen[None]) -> bool:
    if isinstance(screen, LessonScreen):
        return screen.loaded
    document = screen.query_one(Markdown)
    return document._table_of_contents is not None and bool(document.children) and shown(document.children[-1])


async def measure(
    cur: Curriculum, store: Store, make: Callable[[], Screen[None]], size: tuple[int, int]
) -> tuple[float, float]:
    """Milliseconds from pushing the screen to its first text on screen, and to all of it laid out."""
    app = TrainerApp(cur, store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        screen = make()
        app.push_screen(screen)
        first = None
        while True:
            await asyncio.sleep(0.01)
            if app.screen is not screen or not screen.is_mounted:
                continue
            if first is None and shown(first_block(screen)):
                first = time.perf_counter()
            if first is not None and complete(screen):
                return (first - start) * 1000, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("objectives", nargs="*", default=["352.1", "353.3", "351.4"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="lpic3-bench-home-") as home:
        os.environ["LPIC3_HOME"] = home
        cur = load_cached()
        store = Store.open()
        print(f"{args.size}, {args.runs} runs each, median (min) in ms; load average {os.getloadavg()[0]:.1f}")
        print(
            f"{'lesson':<8} {'KB':>4}  {'first text before':>18} {'now':>12}  {'all laid out before':>20} {'now':>12}"
        )
        for oid in args.objectives:
            lesson = cur.lessons[oid]
            before, now = [], []
            for _ in range(args.runs):
                before.append(asyncio.run(measure(cur, store, partial(OneViewerScreen, lesson), (width, height))))
                now.append(asyncio.run(measure(cur, store, partial(LessonScreen, lesson), (width, height))))

            def cell(runs: list[tuple[float, float]], i: int) -> str:
                values = [r[i] for r in runs]
                return f"{statistics.median(values):.0f} ({min(values):.0f})"

            print(
                f"{oid:<8} {len(lesson.body) // 1024:>4}  {cell(before, 0):>18} {cell(now, 0):>12}  "
                f"{cell(before, 1):>18} {cell(now, 1):>12}"
            )
        store.close()


if __name__ == "__main__":
    main()
