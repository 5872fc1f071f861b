"""The progress store keeps everything committed, survives kill -9, and never silently drops a file."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO
from trainer.study.store import GradedAnswer, Store


def test_answers_history_and_lessons(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.sqlite3")
    store.record_answer("q1", "351.1", "practice", True, (1,), at=1.0)
    store.record_answer("q1", "351.1", "practice", False, (2,), at=2.0)
    store.record_answer("q2", "351.2", "review", True, "xl list", at=3.0)
    history = store.history()
    assert (history["q1"].attempts, history["q1"].correct, history["q1"].last_correct) == (2, 1, False)
    assert history["q2"].last_correct
    store.set_lesson_position("351.1", 0.5)
    store.set_lesson_position("351.1", 0.75)
    assert store.lesson_positions() == {"351.1": 0.75}
    store.close()
    reopened = Store.open(tmp_path / "p.sqlite3")
    assert reopened.answer_count() == 3 and reopened.notice is None


def test_exam_state_survives_reopening(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.sqlite3")
    exam = store.start_exam(42, 90, [("q1", (1, 0, 2, 3)), ("q2", ())])
    store.save_exam_response(exam, 0, (2,), remaining=5000.0)
    store.save_exam_flag(exam, 0, True, remaining=5000.0)
    store.save_exam_response(exam, 1, "virsh list", remaining=4900.0)
    store.close()
    store = Store.open(tmp_path / "p.sqlite3")
    record = store.unfinished_exam()
    assert record is not None and record.seed == 42 and record.remaining == 4900.0 and record.position == 1
    assert record.paper == [("q1", (1, 0, 2, 3)), ("q2", ())]
    assert store.exam_answers(exam) == {0: ((2,), True), 1: ("virsh list", False)}
    graded = [GradedAnswer("q1", "351.1", True, (2,)), GradedAnswer("q2", "351.4", False, "x")]
    store.finish_exam(exam, 4800.0, lambda saved: ({"percent": 50.0}, graded))
    assert store.unfinished_exam() is None
    assert store.finished_exams()[0].result == {"percent": 50.0}
    assert store.history()["q2"].attempts == 1


def test_broken_file_is_moved_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = Store.open(path)
    assert store.notice and "moved to" in store.notice
    aside = [p for p in tmp_path.iterdir() if ".broken-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    store.record_answer("q", "351.1", "practice", True, (0,))
    assert store.answer_count() == 1


CHILD = """
import sys
from pathlib import Path
from trainer.study.store import Store
store = Store.open(Path(sys.argv[1]))
n = int(sys.argv[2])
while True:
    store.record_answer(f"q{n}", "351.1", "practice", n % 2 == 0, (n % 4,))
    print(n, flush=True)
    n += 1
"""


def test_kill_9_loses_no_committed_answer(tmp_path: Path) -> None:
    """A process answering as fast as it can is killed at random moments, many times."""
    path = tmp_path / "p.sqlite3"
    rng = random.Random(1)
    confirmed = -1
    for _ in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(confirmed + 1)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait until it has committed something
            line = child.stdout.readline()  # type: ignore[union-attr]
            if line:
                confirmed = int(line)
                break
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(child.pid, signal.SIGKILL)
        rest = child.stdout.read()  # type: ignore[union-attr]
        child.wait()
        if rest.split():
            confirmed = int(rest.split()[-1])
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {row[0] for row in db.execute("SELECT question_id FROM answers")}
        db.close()
        missing = [n for n in range(confirmed + 1) if f"q{n}" not in ids]
        assert missing == [], f"committed answers lost after kill -9: {missing[:10]}"
    assert confirmed > 12
