"""Screenshots of the main screens at 80x24 and 120x40, compared with the approved SVGs in
tests/__snapshots__/. After a deliberate change: pytest tests/test_tui_snapshots.py --snapshot-update."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.study_fixtures import make_curriculum
from trainer.curriculum.model import Curriculum
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.exam import ExamScreen

SIZES = [(80, 24), (120, 40)]
SnapCompare = Callable[..., bool]  # pytest-textual-snapshot's fixture: run the app, compare its screen


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Curriculum:
    return make_curriculum(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture
def app(synthetic: Curriculum, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrainerApp:
    monkeypatch.setattr(ExamScreen, "tick", lambda self: None)  # a still clock for a still picture
    return TrainerApp(synthetic, Store.open(tmp_path / "p.sqlite3"), seed=7)


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare: SnapCompare, app: TrainerApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_practice_feedback(snap_compare: SnapCompare, app: TrainerApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, press=["down", "down", "p", "a", "b", "enter"])


@pytest.mark.parametrize("size", SIZES)
def test_mock_exam(snap_compare: SnapCompare, app: TrainerApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, press=["e", "n", "n"])


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare: SnapCompare, app: TrainerApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, press=["question_mark"])
