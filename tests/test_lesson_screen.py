"""The lesson screen, driven as a reader would: readable at 80x24 without a key, nothing cut off,
contents that never strand the focus, the reading position kept across layouts, text that
shows before the whole lesson is laid out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.content import Content
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Label, Tree
from textual.widgets._markdown import MarkdownFence, MarkdownHeader, MarkdownTableCellContents

from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.lesson import LessonScreen
from trainer.tui.widgets.lesson_text import LessonText

NARROW, WIDE = (80, 24), (120, 40)
# Long code lines (581 characters), wide tables and many parts.
LONG = "352.1"


@pytest.fixture(scope="module")
def cur() -> Curriculum:
    return load_curriculum()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "progress.sqlite3")
    yield opened
    opened.close()


async def open_lesson(pilot: Pilot[None], oid: str) -> LessonScreen:
    """Open a lesson the way Home does and wait until all of it is laid out."""
    app = pilot.app
    app.open_lesson(oid)  # type: ignore[attr-defined]
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, LessonScreen)
    for _ in range(600):
        if screen.loaded:
            break
        await pilot.pause(0.05)
    assert screen.loaded, "the lesson was not laid out within 30 s"
    await pilot.pause()
    return screen


def rendered(widget: Widget) -> str:
    """What the widget paints, as text."""
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size)))


def top_line(screen: LessonScreen) -> str:
    """The source line of the heading at the top of the view (its margin may be above), or the last one before."""
    text = screen.query_one(LessonText)
    lines = screen.lesson.body.splitlines()
    best = ""
    for part, widget in zip(text.parts, text.query_children(".part"), strict=True):
        for block in widget.children:
            y = widget.virtual_region.y + block.virtual_region.y - block.styles.margin.top
            if isinstance(block, MarkdownHeader) and y <= text.scroll_y:
                best = lines[part.first_line + block.source_range[0]]
    return best


@pytest.mark.parametrize("size", [NARROW, WIDE])
async def test_a_lesson_is_readable_without_pressing_anything(
    cur: Curriculum, store: Store, size: tuple[int, int]
) -> None:
    app = TrainerApp(cur, store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = await open_lesson(pilot, "351.1")
        text, tree = screen.query_one(LessonText), screen.query_one("#contents", Tree)
        assert app.focused is text
        if size == NARROW:
            assert not tree.display, "at 80x24 the contents must not take the text's room"
            assert text.region.width >= size[0] - 2
        else:
            assert tree.display and tree.region.width <= size[0] // 3
            assert text.region.width >= size[0] * 2 // 3 - 1
        paragraph = text.query_children(".part").first().children[1]
        assert paragraph.region.width >= text.region.width - 6
        assert "objective" in rendered(paragraph)


@pytest.mark.parametrize("size", [NARROW, WIDE])
async def test_code_and_tables_are_never_cut(cur: Curriculum, store: Store, size: tuple[int, int]) -> None:
    """Every character of every code block and table cell is painted inside the text column."""
    app = TrainerApp(cur, store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = await open_lesson(pilot, LONG)
        text = screen.query_one(LessonText)
        fences = list(text.query(MarkdownFence))
        assert any(len(line) > 500 for fence in fences for line in fence.code.splitlines())
        for fence in fences:
            label = fence.query_one(Label)
            assert fence.max_scroll_x == 0 and label.region.right <= text.region.right
            assert "".join(rendered(label).split()) == "".join(fence.code.split())
        cells = list(text.query(MarkdownTableCellContents))
        assert len(cells) > 50
        for cell in cells:
            assert cell.region.right <= text.region.right
            shown, content = "".join(rendered(cell).split()), cell.content
            assert isinstance(content, Content)
            assert shown == "".join(content.plain.split()), f"cell cut: {shown!r}"


async def test_contents_never_leave_the_focus_on_nothing(cur: Curriculum, store: Store) -> None:
    app = TrainerApp(cur, store)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = await open_lesson(pilot, "351.1")
        tree, text = screen.query_one("#contents", Tree), screen.query_one(LessonText)
        await pilot.press("c")  # beside the text: hide them
        await pilot.pause()
        assert not tree.display and app.focused is text
        await pilot.press("c")  # back, with the cursor in them
        await pilot.pause()
        assert tree.display and app.focused is tree
        await pilot.press("c")  # hidden while they had the focus: the text takes it
        await pilot.pause()
        assert not tree.display and app.focused is text


async def test_narrow_contents_cover_the_text_and_step_aside(cur: Curriculum, store: Store) -> None:
    app = TrainerApp(cur, store)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        screen = await open_lesson(pilot, "351.1")
        tree, text = screen.query_one("#contents", Tree), screen.query_one(LessonText)
        width = text.region.width
        await pilot.press("c")
        await pilot.pause()
        assert tree.display and app.focused is tree
        assert text.region.width == width, "over the text, not beside it"
        await pilot.press("escape")  # closes the contents, not the lesson
        await pilot.pause()
        assert app.screen is screen and not tree.display and app.focused is text
        await pilot.press("c", "down", "down", "down", "enter")
        await pilot.pause()
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        chosen = screen.sections[tree.cursor_node.data]
        assert not tree.display and app.focused is text
        assert top_line(screen).lstrip("# ") == chosen.title


@pytest.mark.parametrize(
    ("first", "second", "hide_contents"),
    [(WIDE, WIDE, True), (WIDE, NARROW, False), (NARROW, WIDE, False)],
    ids=["contents-hidden-later", "wide-then-narrow", "narrow-then-wide"],
)
async def test_reopening_lands_on_the_same_heading(
    cur: Curriculum, store: Store, first: tuple[int, int], second: tuple[int, int], hide_contents: bool
) -> None:
    """The position is a place in the lesson, not a fraction of a layout that may change."""
    for number in (6, 17, 27):
        app = TrainerApp(cur, store)
        async with app.run_test(size=first) as pilot:
            await pilot.pause()
            screen = await open_lesson(pilot, LONG)
            text = screen.query_one(LessonText)
            heading = text.heading_at(screen.sections[number].line)
            assert heading is not None
            text.scroll_to_widget(heading, top=True, animate=False)
            await pilot.pause()
            left_at = top_line(screen)
            assert left_at.lstrip("# ") == screen.sections[number].title
            await pilot.press("escape")
            await pilot.pause()
        app = TrainerApp(cur, store)
        async with app.run_test(size=second) as pilot:
            await pilot.pause()
            screen = await open_lesson(pilot, LONG)
            if hide_contents:
                await pilot.press("c")
                await pilot.pause()
            assert top_line(screen) == left_at


async def test_the_first_text_shows_before_the_rest_is_laid_out(
    cur: Curriculum, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sign of work at once, then the first part readable while later parts still load."""
    app = TrainerApp(cur, store)
    seen: list[tuple[int, int, bool, bool]] = []
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        screen = LessonScreen(cur.lessons[LONG], store)
        shown = screen._part_shown

        def spy(count: int) -> None:
            shown(count)
            text = screen.query_one(LessonText)
            first = text.query_children(".part").first().children[0]
            seen.append((count, len(text.parts), bool(first.region), screen.query_one("#lesson-status").display))

        monkeypatch.setattr(screen, "_part_shown", spy)
        await app.push_screen(screen)
        placeholder = screen.query_one("#lesson-placeholder")
        assert "Loading the lesson" in str(placeholder.render())
        for _ in range(600):
            if screen.loaded:
                break
            await pilot.pause(0.05)
        assert screen.loaded
    count, parts, first_visible, _ = seen[0]
    assert count == 1 and parts >= 3 and first_visible
    assert [status for _, _, _, status in seen] == [True] * (parts - 1) + [False], "a status line while parts load"


async def test_leaving_while_it_loads_keeps_the_old_position(cur: Curriculum, store: Store) -> None:
    store.set_lesson_position(LONG, 0.5)
    app = TrainerApp(cur, store)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        app.open_lesson(LONG)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LessonScreen)
    assert app.return_code in (None, 0)
    assert store.lesson_positions()[LONG] == 0.5
