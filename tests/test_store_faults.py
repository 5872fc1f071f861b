"""The progress store under trouble: a lock held by another program, a file from a newer lpic3, a
read-only file, broken files (moved aside, always with a notice) and who may read the files."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, run_lpic3
from trainer import __version__
from trainer.errors import StoreError
from trainer.paths import private_data_dir
from trainer.study.store import SCHEMA_VERSION, Store

# Another program (a second process) takes an exclusive lock on the database, then holds it.
# "exclusive": no one else may even read (what a backup tool or `sqlite3` with locking_mode=EXCLUSIVE
# does); "write": a writer in the middle of a long transaction (other readers go on).
LOCK_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[3] == "exclusive":
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
    db.execute("BEGIN EXCLUSIVE")
else:
    db.execute("BEGIN IMMEDIATE")
db.execute("SELECT COUNT(*) FROM answers").fetchone()
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


@contextmanager
def locked_by_another_process(path: Path, seconds: float, kind: str = "exclusive") -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path), str(seconds), kind], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


def snapshot(path: Path) -> tuple[str, list[str]]:
    """A digest of the database's bytes, and the files moved aside beside it."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(p.name for p in path.parent.glob("*.broken-*"))


def a_store_with_answers(path: Path, n: int = 3) -> None:
    store = Store.open(path)
    for i in range(n):
        store.record_answer(f"q{i}", "351.1", "practice", True, (0,))
    store.close()


def test_a_lock_held_for_a_moment_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    a_store_with_answers(path)
    with locked_by_another_process(path, 2.0):
        started = time.monotonic()
        store = Store.open(path, wait=30.0)
        waited = time.monotonic() - started
    assert waited > 1.0, "the lock was not held: this test proves nothing"
    assert store.answer_count() == 3 and store.notice is None
    store.close()
    assert not [p for p in tmp_path.iterdir() if ".broken-" in p.name]


def test_a_lock_that_persists_is_an_error_and_nothing_is_moved(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    a_store_with_answers(path)
    before = snapshot(path)
    with locked_by_another_process(path, 60.0):
        started = time.monotonic()
        with pytest.raises(StoreError) as error:
            Store.open(path, wait=1.0)
        assert time.monotonic() - started >= 0.9  # it waited before giving up
        assert snapshot(path) == before  # while the other program still holds it: nothing touched
    assert error.value.message == f"the progress file {path} is in use by another program; close it and try again"
    store = Store.open(path)
    assert store.answer_count() == 3 and store.notice is None
    store.close()


def test_a_write_blocked_by_a_lock_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    a_store_with_answers(path)
    store = Store.open(path, wait=0.5)
    with locked_by_another_process(path, 60.0, "write"), pytest.raises(StoreError, match="in use by another program"):
        store.record_answer("q9", "351.1", "practice", True, (0,))
    store.close()


def test_a_file_from_a_newer_lpic3_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    a_store_with_answers(path)
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION + 1),))
        db.execute("UPDATE meta SET value = '9.4.1' WHERE key = 'lpic3'")
    db.close()
    before = snapshot(path)
    with pytest.raises(StoreError) as error:
        Store.open(path)
    assert "written by lpic3 9.4.1" in error.value.message and f"this lpic3 {__version__}" in error.value.message
    assert "update lpic3" in error.value.message
    assert snapshot(path) == before


def test_the_writing_version_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    db = sqlite3.connect(path)
    assert dict(db.execute("SELECT key, value FROM meta")) == {"schema": str(SCHEMA_VERSION), "lpic3": __version__}
    db.close()


def test_a_database_failing_its_integrity_check_is_moved_aside_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    a_store_with_answers(path, 400)
    db = sqlite3.connect(path)
    root_page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'answers_by_question'").fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    with path.open("r+b") as raw:  # scribble over the index's root page: a valid file, a broken database
        raw.seek((root_page - 1) * page_size)
        raw.write(b"\xff" * page_size)
    store = Store.open(path)
    assert store.notice and "was broken" in store.notice and "moved to" in store.notice
    aside = Path(store.notice.split("moved to ")[1].split(",")[0])
    assert aside.exists() and aside.parent == tmp_path
    assert store.answer_count() == 0
    store.close()


@pytest.mark.parametrize("command", [["labs"], ["progress"], ["lab", "show", "FIRST"]])
def test_every_command_says_when_a_broken_file_was_moved(command: list[str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.sqlite3").write_bytes(b"not a database at all " * 50)
    if command[-1] == "FIRST":
        from trainer.curriculum.loader import load_curriculum

        command = [*command[:-1], load_curriculum().exercises[0].id]
    result = run_lpic3(*command, env={"LPIC3_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "moved to" in line]
    assert len(notices) == 1 and notices[0].startswith("lpic3: the progress file ")
    assert [p for p in home.iterdir() if ".broken-" in p.name]


def test_a_read_only_file_cannot_take_a_change_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    a_store_with_answers(path)
    store = Store.open(path)
    store.db.close()
    store.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    with pytest.raises(StoreError) as error:
        store.record_answer("q9", "351.1", "practice", True, (0,))
    assert error.value.message == f"cannot save to the progress file {path}: the file is read-only"
    store.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_and_database_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "data" / "progress.sqlite3"
    store = Store.open(path)
    store.record_answer("q", "351.1", "practice", True, (0,))
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert {p.name: mode(p) for p in path.parent.iterdir()} == {
        "progress.sqlite3": 0o600,
        "progress.sqlite3-wal": 0o600,
        "progress.sqlite3-shm": 0o600,
    }
    store.close()


def test_an_existing_data_folder_and_database_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "progress.sqlite3"
    old = os.umask(0o022)
    try:
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    finally:
        os.umask(old)
    assert mode(folder) == 0o755 and mode(path) == 0o644
    Store.open(path).close()
    assert mode(folder) == 0o700 and mode(path) == 0o600


def test_a_folder_holding_more_than_lpic3s_files_keeps_its_mode(tmp_path: Path) -> None:
    """LPIC3_HOME may name a folder shared with other things (a class folder): only lpic3's own
    files are made private there, never the folder."""
    shared = tmp_path / "class"
    shared.mkdir()
    shared.chmod(0o755)
    (shared / "handouts").mkdir()
    Store.open(shared / "progress.sqlite3").close()
    assert mode(shared) == 0o755 and mode(shared / "progress.sqlite3") == 0o600


def test_a_shared_sticky_folder_is_not_made_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    private_data_dir(shared)
    assert mode(shared) == 0o1777
