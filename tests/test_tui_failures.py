"""The trainer window when things go wrong, run as a user runs it (``python -m trainer`` in a real
terminal): a bug ends it with one line, a crash note and a non-zero status; a full disk or a read-only
progress file is said in one line; a second window on the same data folder is refused."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest
from textual.worker import WorkerFailed

from tests.conftest import REPO, run_lpic3
from trainer.errors import StoreError
from trainer.study.instance import only_instance
from trainer.study.store import FILE_NAME, Store

READY = "305-300 trainer"  # in the header once the window is drawn


def spawn(argv: list[str], home: Path) -> pexpect.spawn[str]:
    """``argv`` in a terminal of 100x30, with ``home`` as the data folder."""
    env = {**os.environ, "LPIC3_HOME": str(home), "TERM": "xterm-256color"}
    return pexpect.spawn(argv[0], argv[1:], cwd=str(REPO), env=env, dimensions=(30, 100), encoding="utf-8")


def trainer_argv(*before: str) -> list[str]:
    """``python -m trainer``, optionally after a shell line (``before``) run in a private mount namespace."""
    if not before:
        return [sys.executable, "-m", "trainer"]
    return ["unshare", "-m", "sh", "-ec", f"{' && '.join(before)} && exec {sys.executable} -m trainer"]


def ended(child: pexpect.spawn[str]) -> tuple[int | None, str]:
    """Wait for the end; the exit status and what the terminal showed after the window closed."""
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    after_window = str(child.before).rsplit("\x1b[?1049l", 1)[-1]  # after leaving the alternate screen
    return child.exitstatus, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", after_window)  # terminal modes reset


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


# A screen that raises on a key: a stand-in for any bug in a screen.
CRASHING = """
from trainer.tui.screens.home import HomeScreen
def key_z(self):
    raise RuntimeError("planted fault")
HomeScreen.key_z = key_z
from trainer.cli import main
raise SystemExit(main([]))
"""


def test_a_crash_exits_non_zero_with_one_line_and_a_note(home: Path) -> None:
    child = spawn([sys.executable, "-c", CRASHING], home)
    child.expect(READY, timeout=60)
    child.send("z")
    status, shown = ended(child)
    assert status == 70
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in shown, shown
    assert lines[0].startswith("lpic3: internal error (RuntimeError: planted fault); details in ")
    [note] = home.glob("crash-*.txt")
    assert str(note) in lines[0]
    text = note.read_text()
    assert "crashed in lpic3 (trainer)" in text and "in key_z" in text and "RuntimeError: planted fault" in text


def test_a_second_window_on_the_same_data_folder_is_refused(home: Path) -> None:
    first = spawn(trainer_argv(), home)
    try:
        first.expect(READY, timeout=60)
        second = run_lpic3(env={"LPIC3_HOME": str(home)})
        assert second.returncode == 1
        assert second.stderr == (
            f"lpic3: the trainer is already open in another window (pid {first.pid}) on {home};"
            " use that window or quit it first\n"
        )
        assert run_lpic3("progress", env={"LPIC3_HOME": str(home)}).returncode == 0  # reading goes on
        with pytest.raises(StoreError, match=f"pid {first.pid}"), only_instance(home):
            pass
    finally:
        first.kill(9)
        first.close()
    with only_instance(home):  # the kernel released the lock of the killed window
        assert (home / "instance.lock").read_text() == f"{os.getpid()}\n"


def answers(home: Path) -> int:
    store = Store.open(home / FILE_NAME)
    try:
        return store.answer_count()
    finally:
        store.close()


def test_a_read_only_progress_file_is_said_in_one_line(home: Path) -> None:
    """The progress file is on a read-only mount (root ignores file modes): saving fails, the user is told."""
    database = home / FILE_NAME
    Store.open(database).close()
    child = spawn(trainer_argv(f"mount --bind {database} {database}", f"mount -o remount,bind,ro {database}"), home)
    child.expect(READY, timeout=60)
    child.send("e")  # a mock exam is recorded as soon as it starts
    status, shown = ended(child)
    assert status == 1
    assert [line for line in shown.splitlines() if line.strip()] == [
        f"lpic3: cannot save to the progress file {database}: the file is read-only"
    ]
    assert not list(home.glob("*.broken-*"))


def test_a_full_disk_is_said_in_one_line(home: Path) -> None:
    home.mkdir()
    child = spawn(trainer_argv(f"mount -t tmpfs -o size=8m,mode=0700 lpic3-test-full {home}"), home)
    child.expect(READY, timeout=60)
    filler = Path(f"/proc/{child.pid}/root") / str(home).lstrip("/") / "filler"  # the tmpfs, seen from here
    with pytest.raises(OSError, match="No space left"), filler.open("wb") as fill:
        while True:
            fill.write(b"\0" * 65536)
            fill.flush()
    child.send("e")
    status, shown = ended(child)
    assert status == 1
    assert [line for line in shown.splitlines() if line.strip()] == [
        f"lpic3: cannot save to the progress file {home / FILE_NAME}: the disk is full"
    ]


async def test_a_store_error_in_a_worker_ends_the_app_as_itself(tmp_path: Path) -> None:
    """Work done in a worker (labs, the sandbox) fails the same way: the StoreError, not Textual's wrapper."""
    from tests.study_fixtures import make_curriculum
    from trainer.tui.app import TrainerApp

    store = Store.open(tmp_path / FILE_NAME)
    app = TrainerApp(make_curriculum(tmp_path / "tree"), store)

    def save() -> None:
        raise StoreError("cannot save to the progress file X: the disk is full")

    with pytest.raises(WorkerFailed):  # Pilot raises what ended the app, for test frameworks
        async with app.run_test() as pilot:
            app.run_worker(save, thread=True)
            await pilot.pause(0.5)
    store.close()
    assert isinstance(app.failure, StoreError) and app.failure.message.endswith("the disk is full")
