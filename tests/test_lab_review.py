"""Spaced review of hands-on work: a lab passed for real (the real command line, the real check on
this machine) comes back later like a question does, sooner when hints were needed; it shows in
``lpic3 progress``, in the home screen's readiness, and in the TUI's review, as a lab to do anew."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.conftest import Tree, run_lpic3
from tests.lab_fixtures import LAB_ID, remove_workdirs, slow_lab
from trainer.curriculum.loader import load_curriculum
from trainer.study.review import LAB_CARD, due_now, labs_due_now, schedule_lab
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.lab import LabListScreen

pytestmark = pytest.mark.usefixtures("remove_workdirs")
__all__ = ["remove_workdirs"]  # the fixture, used by every test here

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def lab(tree: Tree, *args: str) -> tuple[int, str]:
    result = run_lpic3("lab", *args, LAB_ID, "--path", str(tree.root), "--target", "local")
    return result.returncode, result.stdout + result.stderr


def card_due(exercise_id: str) -> float | None:
    store = Store.open()
    try:
        row = store.db.execute("SELECT due FROM cards WHERE question_id = ?", (LAB_CARD + exercise_id,)).fetchone()
        return None if row is None else float(row[0])
    finally:
        store.close()


def workdir() -> Path:
    store = Store.open()
    try:
        (params,) = store.db.execute("SELECT params FROM lab_attempts ORDER BY id DESC LIMIT 1").fetchone()
        values = json.loads(params)
        return Path(values["workdir"]) / values["name"]
    finally:
        store.close()


def test_a_lab_passed_for_real_comes_back_later_and_shows_in_progress(tree: Tree, tmp_path: Path) -> None:
    slow_lab(tree, tmp_path / "log", sleep=0)
    assert lab(tree, "start", "--yes")[0] == 0
    assert lab(tree, "check")[0] == 1 and card_due(LAB_ID) is None  # a fail schedules nothing
    workdir().touch()
    assert lab(tree, "check")[0] == 0
    due = card_due(LAB_ID)
    assert due is not None and due > dt.datetime.now(dt.UTC).timestamp()  # later, not now
    assert lab(tree, "check")[0] == 0 and card_due(LAB_ID) == due  # checking a passed attempt again: no change
    progress = json.loads(run_lpic3("progress", "--json", "--path", str(tree.root)).stdout)
    row = next(r for r in progress["objectives"] if r["objective"] == "351.5")
    assert (row["labs"], row["labs_passed"], row["labs_due"], progress["labs_due"]) == (1, 1, 0, [])
    store = Store.open()  # time passes: the card's day comes
    store.db.execute("UPDATE cards SET due = ? WHERE question_id = ?", (due - 86400 * 365, LAB_CARD + LAB_ID))
    store.db.commit()
    store.close()
    progress = json.loads(run_lpic3("progress", "--json", "--path", str(tree.root)).stdout)
    row = next(r for r in progress["objectives"] if r["objective"] == "351.5")
    assert (row["labs_due"], progress["labs_due"]) == (1, [LAB_ID])
    text = run_lpic3("progress", "--path", str(tree.root)).stdout
    assert f"labs due to be done again (new values each time): {LAB_ID}" in text


def test_a_pass_with_hints_comes_back_sooner_and_lab_cards_are_not_questions() -> None:
    store = Store.open()
    try:
        unaided = schedule_lab(store, "351.5-a", hints=0, now=NOW)
        helped = schedule_lab(store, "351.5-b", hints=2, now=NOW)
        assert NOW < helped < unaided
        later = unaided + dt.timedelta(seconds=1)
        assert due_now(store, later) == [] and sorted(labs_due_now(store, later)) == ["351.5-a", "351.5-b"]
        assert labs_due_now(store, NOW) == []
    finally:
        store.close()


async def test_review_with_only_labs_due_lists_them_to_do_again(tree: Tree, tmp_path: Path) -> None:
    """The home screen counts the lab to do again and the hands-on evidence; r opens the due labs."""
    slow_lab(tree, tmp_path / "log", sleep=0)
    cur = load_curriculum(tree.root)
    store = Store.open()
    store.db.execute(
        "INSERT INTO lab_attempts (exercise_id, target, params, started_at, passed) VALUES (?, 'local', '{}', 0, 1)",
        (LAB_ID,),
    )
    store.db.commit()
    schedule_lab(store, LAB_ID, hints=0, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    app = TrainerApp(cur, store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            home = app.screen
            assert isinstance(home, HomeScreen)
            summary = str(home.query_one("#summary", Static).render())
            assert "0 reviews due now + 1 lab(s) to do again" in summary, summary
            assert "hands-on: labs passed in 1/13 objectives" in summary, summary
            await pilot.press("r")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LabListScreen) and screen.due_only
            table = screen.query_one(DataTable)
            assert table.row_count == 1 and table.get_row_at(0)[0] == "due"
            assert "due to be done again, with new values" in str(screen.query_one("#lab-list-head", Static).render())
    finally:
        store.close()
