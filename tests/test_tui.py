"""The TUI opens on the bundled curriculum, lists the objectives and shows a lesson with its contents."""

from __future__ import annotations

import pytest
from textual.widgets import MarkdownViewer, OptionList

from trainer.curriculum.loader import load_curriculum
from trainer.tui.app import TrainerApp
from trainer.tui.screens.lesson import LessonScreen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_home_lists_all_objectives_and_opens_a_lesson(size: tuple[int, int]) -> None:
    cur = load_curriculum()
    app = TrainerApp(cur)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert [i for i in ids if i] == list(cur.objectives)
        first_with_lesson = next(oid for oid in cur.objectives if oid in cur.lessons)
        options.highlighted = ids.index(first_with_lesson)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.objective == first_with_lesson
        assert app.screen.query_one(MarkdownViewer).show_table_of_contents
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LessonScreen)


async def test_objective_without_lesson_says_so() -> None:
    cur = load_curriculum()
    missing = [oid for oid in cur.objectives if oid not in cur.lessons]
    if not missing:
        pytest.skip("every objective has a lesson: nothing to show")
    app = TrainerApp(cur)
    async with app.run_test() as pilot:
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = ids.index(missing[0])
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, LessonScreen)
