"""The TUI's lab screen driven by keys on this machine, with a test lab whose check really takes a few
seconds: Escape during a check, a key pressed twice, q while the shell is open, a reset after a
pass, a check without an answer in time, and a task shown before its start."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Markdown, Static

from checkers.session import local_argv
from checkers.targets import Target, parse_target
from tests.conftest import Tree
from tests.lab_fixtures import choose, remove_workdirs, slow_lab, until
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum, Exercise
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.lab import Choose, LabListScreen, LabScreen

pytestmark = pytest.mark.usefixtures("remove_workdirs")
__all__ = ["remove_workdirs"]  # the fixture, used by every test here

# Not a sandbox in what it runs (this machine), but one in what it allows: no consent dialog.
STAND_IN = Target("sandbox", "local", "a stand-in sandbox", tuple(local_argv()), sandbox=True)


@pytest.fixture(scope="module")
def bundled() -> Curriculum:
    return load_curriculum()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open()  # LPIC3_HOME's, where remove_workdirs looks for attempts
    yield opened
    opened.close()


def text(screen: LabScreen, selector: str) -> str:
    """The status line's text, or a Markdown part's source."""
    if selector == "#lab-status":
        return str(screen.query_one(selector, Static).render())
    return screen.query_one(selector, Markdown).source


async def open_lab(app: TrainerApp, pilot: Pilot[None], exercise: Exercise, store: Store, target: Target) -> LabScreen:
    screen = LabScreen(exercise, store, target)
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def start(pilot: Pilot[None], app: TrainerApp, screen: LabScreen) -> None:
    await pilot.press("s")
    if not screen.target.sandbox:
        await choose(pilot, "yes")
    await until(pilot, lambda: screen.job is None and screen.attempt is not None)


async def test_escape_during_a_check_cancels_it_and_the_next_check_works(
    tree: Tree, tmp_path: Path, store: Store, bundled: Curriculum
) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=4)
    app = TrainerApp(bundled, store)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_lab(app, pilot, exercise, store, parse_target("local"))
        await start(pilot, app, screen)
        await pilot.press("c")
        await until(pilot, lambda: screen.lab.connection.busy)
        await pilot.pause(0.5)  # the worker is inside pexpect, waiting for `sleep 4`
        pid = screen.lab.connection.session.child.pid  # type: ignore[union-attr]
        asked = time.monotonic()
        await pilot.press("escape")
        await until(pilot, lambda: screen.job is None, seconds=5)
        assert time.monotonic() - asked < 2
        assert app.is_running and app.screen is screen
        assert "cancelled checking" in text(screen, "#lab-status")
        assert "Cancelled after 0 of 1 checks" in text(screen, "#lab-results")
        assert not Path(f"/proc/{pid}").exists()  # the worker closed the shell it was using
        assert screen.attempt is not None and screen.attempt.checked_at is None
        await pilot.press("c")  # a new shell; the check runs to its end
        await until(pilot, lambda: screen.job is None and "1 checks passed" in text(screen, "#lab-results"))
        assert "0/1 checks passed" in text(screen, "#lab-results") and "not yet" in text(screen, "#lab-status")
        assert screen.attempt is not None and screen.attempt.passed is False


async def test_start_pressed_twice_sets_up_once(tree: Tree, tmp_path: Path, store: Store, bundled: Curriculum) -> None:
    log = tmp_path / "log"
    exercise = slow_lab(tree, log, sleep=0, setup=1)
    app = TrainerApp(bundled, store)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_lab(app, pilot, exercise, store, STAND_IN)
        await pilot.press("s", "s")
        assert screen.job is not None
        notices = [n.message for n in app._notifications]
        assert any(m.startswith("Busy setting the lab up") for m in notices), notices
        await until(pilot, lambda: screen.job is None)
        await pilot.press("c", "c", "r")  # a check, then two refused presses while it runs
        await until(pilot, lambda: screen.job is None)
    assert log.read_text() == "set-up\n"
    assert len(store.db.execute("SELECT id FROM lab_attempts").fetchall()) == 1


async def test_no_in_the_dialog_changes_nothing(tree: Tree, tmp_path: Path, store: Store, bundled: Curriculum) -> None:
    log = tmp_path / "log"
    exercise = slow_lab(tree, log, sleep=0)
    app = TrainerApp(bundled, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lab(app, pilot, exercise, store, parse_target("local"))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, Choose))
        dialog = app.screen
        assert isinstance(dialog, Choose)
        assert "runs its setup on this machine (local), which is not a throw-away sandbox" in dialog.question
        await pilot.press("escape")  # the dialog's no
        await until(pilot, lambda: screen.job is None)
        assert "not confirmed: nothing was changed" in text(screen, "#lab-status")
        assert not [n for n in app._notifications if n.severity == "error"]
    assert not log.exists() and screen.attempt is None


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "while checking"])
async def test_q_closes_the_shell(tree: Tree, tmp_path: Path, store: Store, bundled: Curriculum, busy: bool) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=20)
    app = TrainerApp(bundled, store)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_lab(app, pilot, exercise, store, STAND_IN)
        await start(pilot, app, screen)
        session = screen.lab.connection.session
        assert session is not None and session.child is not None
        pid = session.child.pid
        if busy:
            await pilot.press("c")
            await until(pilot, lambda: screen.lab.connection.busy)
            await pilot.pause(0.3)
        await pilot.press("q")
        await pilot.pause()
    deadline = time.monotonic() + 5  # a worker in pexpect closes it within a tenth of a second or so
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"the lab's shell {pid} is still running"
        time.sleep(0.05)


async def test_a_reset_clears_what_the_screen_said(
    tree: Tree, tmp_path: Path, store: Store, bundled: Curriculum
) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=0)
    app = TrainerApp(bundled, store)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_lab(app, pilot, exercise, store, parse_target("local"))
        await start(pilot, app, screen)
        workdir, name = screen.attempt.params["workdir"], screen.attempt.params["name"]  # type: ignore[union-attr]
        Path(workdir, name).touch()
        for _ in range(2):  # each check shows its own results, not those of the one before as well
            await pilot.press("c")
            await until(pilot, lambda: screen.job is None and "all checks pass" in text(screen, "#lab-status"))
            assert text(screen, "#lab-results").count("`made`") == 1
        await pilot.press("r")
        await choose(pilot, "yes")
        await until(pilot, lambda: screen.job is None and "reset" in text(screen, "#lab-status"))
        assert "pass" not in text(screen, "#lab-status") and text(screen, "#lab-results") == ""
        assert not Path(workdir).exists()


async def test_a_check_without_an_answer_is_not_judged(
    tree: Tree, tmp_path: Path, store: Store, bundled: Curriculum, monkeypatch: pytest.MonkeyPatch
) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=5)
    monkeypatch.setenv("LPIC3_TIME_SCALE", "0.02")  # each command gets 1.2 s: the check's `sleep 5` cannot answer
    app = TrainerApp(bundled, store)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_lab(app, pilot, exercise, store, parse_target("local"))
        await start(pilot, app, screen)
        await pilot.press("c")
        await until(pilot, lambda: screen.job is None, seconds=10)
        results = text(screen, "#lab-results")
        assert "**NOT JUDGED** `made`" in results and "not judged; check again" in results and "FAIL" not in results
        assert "press c to check again" in text(screen, "#lab-status")
        assert screen.attempt is not None and screen.attempt.checked_at is None


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_task_before_its_start_shows_stand_ins(
    tree: Tree, tmp_path: Path, store: Store, bundled: Curriculum, size: tuple[int, int]
) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=0)
    app = TrainerApp(bundled, store)
    async with app.run_test(size=size) as pilot:
        screen = await open_lab(app, pilot, exercise, store, parse_target("local"))
        shown = " ".join(str(block.render()) for block in screen.query("#lab-task MarkdownParagraph"))
        assert "Create a file named <name> in <workdir>." in shown and "{{" not in shown
        assert "get their values when the lab starts" in shown
        assert "not started: press s" in text(screen, "#lab-status")


async def test_lab_titles_fit_the_window_and_follow_its_width(store: Store, bundled: Curriculum) -> None:
    """The lab list gives titles the room the window has: whole where they fit, cut with an
    ellipsis where not, in a column as wide as they are, the table never wider than the window;
    widening or narrowing it fits them again."""
    app = TrainerApp(bundled, store)
    longest = max(bundled.exercises, key=lambda e: len(e.title))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = LabListScreen(bundled, store, None)
        await app.push_screen(screen)

        async def shown(width: int) -> dict[str, str]:
            await pilot.pause()
            table = screen.query_one(DataTable)
            titles = {str(key.value): str(table.get_row(key)[1]) for key in table.rows}
            columns = list(table.columns.values())
            assert sum(column.get_render_width(table) for column in columns) <= width
            assert columns[1].get_render_width(table) >= max(map(len, titles.values())) + 2  # a cell's padding
            return titles

        narrow = await shown(80)
        assert narrow[longest.id].endswith("…")
        assert all(
            title == e.title or e.title.startswith(title[:-1]) for e in bundled.exercises for title in [narrow[e.id]]
        )
        await pilot.resize_terminal(120, 40)
        wide = await shown(120)
        whole = {e.id for e in bundled.exercises if wide[e.id] == e.title}
        assert whole > {e.id for e in bundled.exercises if narrow[e.id] == e.title}
        assert len(wide[longest.id]) > len(narrow[longest.id])
        await pilot.resize_terminal(80, 24)
        assert await shown(80) == narrow
