"""The history of mock exams: bars on a fixed 0-100 % scale, and every past exam's results reopened
by Enter from what the store kept (real exams drawn, answered and submitted through the store)."""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tests.study_fixtures import store, synthetic
from trainer.curriculum.model import Curriculum
from trainer.study.exam import draw_exam
from trainer.study.grading import Response
from trainer.study.store import Store
from trainer.study.submission import submit_exam
from trainer.tui.app import TrainerApp
from trainer.tui.screens.history import BLOCKS, HistoryScreen, PastResultScreen, bars
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.results import WrongAnswersScreen

__all__ = ["store", "synthetic"]  # fixtures, used by name


def take_exam(cur: Curriculum, store: Store, seed: int, right: int) -> int:
    """Draw an exam, answer its first ``right`` questions rightly and the next one wrongly, submit it."""
    paper = draw_exam(cur, seed)
    exam_id = store.start_exam(seed, paper.minutes, [(i.question.id, i.order) for i in paper.items])
    for position, item in enumerate(paper.items[: right + 1]):
        q = item.question
        response: Response
        if position < right:
            response = q.accept[0] if q.type == "fill" else q.answer
        else:
            response = "wrong" if q.type == "fill" else tuple(i for i in range(len(q.options)) if i not in q.answer)[:1]
        store.save_exam_response(exam_id, position, response, 3000.0)
    submit_exam(cur, store, paper, exam_id, 3000.0)
    return exam_id


def rendered(widget: Widget) -> list[str]:
    return [strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]


def test_bars_are_scaled_to_a_hundred_percent() -> None:
    low, full, half = bars([12.0], 20, 3), bars([100.0], 20, 3), bars([50.0], 20, 3)
    assert [line[6:] for line in low.splitlines()] == ["", "", "▃"]  # 12 % of 24 steps: 3
    assert [line[6:] for line in full.splitlines()] == ["█", "█", "█"]
    assert [line[6:] for line in half.splitlines()] == ["", "▄", "█"]
    assert len(bars([float(p) for p in range(100)], 30, 3).splitlines()[-1]) <= 30  # only as many as fit


async def test_one_low_exam_is_a_low_bar(synthetic: Curriculum, store: Store) -> None:
    take_exam(synthetic, store, seed=5, right=7)  # 7 of 60: 12 %
    app = TrainerApp(synthetic, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        lines = rendered(app.screen.query_one("#trend"))
        assert len(lines) == 3
        assert not any(block in line for line in lines[:-1] for block in BLOCKS[1:]), lines
        assert any(block in lines[-1] for block in BLOCKS[1:4]), lines


async def test_enter_on_a_past_exam_shows_its_results_again(synthetic: Curriculum, store: Store) -> None:
    first, second = take_exam(synthetic, store, seed=5, right=7), take_exam(synthetic, store, seed=9, right=48)
    recorded = {e.id: e.result for e in store.finished_exams()}
    app = TrainerApp(synthetic, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        history = app.screen
        assert isinstance(history, HistoryScreen)
        for exam_id, keys in ((second, ["enter"]), (first, ["down", "enter"])):  # newest first
            await pilot.press(*keys)
            await pilot.pause()
            shown = app.screen
            assert isinstance(shown, PastResultScreen) and shown.record.id == exam_id
            result = recorded[exam_id]
            assert result is not None and shown.result.overall.correct == result["correct"]
            summary = str(shown.query_one("#result-summary", Static).render())
            assert (
                f"{result['correct']}/60 correct" in summary
                and f"estimated score {result['scaled_estimate']}" in summary
            )
            assert "Recorded then" not in str(shown.query_one("#result-note", Static).render())
            breakdown = shown.query_one("#breakdown", DataTable)
            assert breakdown.row_count == len(synthetic.objectives)
            await pilot.press("w")
            await pilot.pause()
            wrong = app.screen
            assert isinstance(wrong, WrongAnswersScreen) and len(wrong.wrong) == 60 - int(str(result["correct"]))
            await pilot.press("escape", "escape")  # the wrong answers, then the results: back in the history
            await pilot.pause()
            assert app.screen is history
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_a_result_recorded_differently_says_so(synthetic: Curriculum, store: Store) -> None:
    """Graded again from the kept answers; where that differs from what was recorded, both are shown."""
    exam_id = take_exam(synthetic, store, seed=5, right=7)
    store.db.execute("UPDATE exams SET result = json_set(result, '$.correct', 9) WHERE id = ?", (exam_id,))
    store.db.commit()
    app = TrainerApp(synthetic, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PastResultScreen)
        assert "Recorded then: 9/60" in str(app.screen.query_one("#result-note", Static).render())


async def test_a_past_exam_whose_question_is_gone_says_so(synthetic: Curriculum, store: Store) -> None:
    exam_id = take_exam(synthetic, store, seed=5, right=7)
    store.db.execute("UPDATE exams SET paper = json_set(paper, '$[0][0]', 'gone-question') WHERE id = ?", (exam_id,))
    store.db.commit()
    app = TrainerApp(synthetic, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert any("gone-question" in str(n.message) for n in app._notifications)
    assert app.return_code in (None, 0)
