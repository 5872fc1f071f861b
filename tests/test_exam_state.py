"""A mock exam's state is the progress store's: an answer and a flag never overwrite each other, a
submit grades what the store holds and happens once, and only answers the learner gave in a submitted
exam count as answered (never blank questions, never an unfinished or abandoned exam). Tested with two
Store connections on one file and with two real processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_lpic3
from tests.study_fixtures import make_curriculum
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.study.exam import ExamItem, ExamPaper, draw_exam
from trainer.study.grading import Response
from trainer.study.progress import objective_progress
from trainer.study.store import ExamClosed, GradedAnswer, Store
from trainer.study.submission import submit_exam

SEED = 7


@pytest.fixture(scope="module")
def cur(tmp_path_factory: pytest.TempPathFactory) -> Curriculum:
    return make_curriculum(tmp_path_factory.mktemp("synthetic"))


def right(item: ExamItem) -> Response:
    q = item.question
    return q.accept[0] if q.type == "fill" else q.answer


def wrong(item: ExamItem) -> Response:
    q = item.question
    return "no such answer" if q.type == "fill" else tuple(i for i in range(len(q.options)) if i not in q.answer)


def start(store: Store, paper: ExamPaper) -> int:
    return store.start_exam(paper.seed, paper.minutes, [(i.question.id, i.order) for i in paper.items])


def exam_rows(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT COUNT(*) FROM answers WHERE mode = 'exam'").fetchone()[0]
    finally:
        db.close()


def test_an_answer_and_a_flag_saved_in_two_windows_never_overwrite_each_other(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    one, two = Store.open(path), Store.open(path)
    exam = one.start_exam(SEED, 90, [("q1", (0, 1)), ("q2", (1, 0)), ("q3", ())])
    one.save_exam_response(exam, 0, (1,), remaining=5000.0)
    two.save_exam_flag(exam, 0, True, remaining=4990.0)  # window two never saw the answer
    two.save_exam_flag(exam, 1, True, remaining=4980.0)
    one.save_exam_response(exam, 1, "virsh list", remaining=4970.0)  # window one never saw the flag
    two.save_exam_flag(exam, 0, False, remaining=4960.0)
    for store in (one, two):
        assert store.exam_answers(exam) == {0: ((1,), False), 1: ("virsh list", True)}
    one.close()
    two.close()


def test_submit_grades_what_both_windows_saved_and_a_second_submit_is_refused(cur: Curriculum, tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    one, two = Store.open(path), Store.open(path)
    paper = draw_exam(cur, SEED)
    exam = start(one, paper)
    for position in range(5):
        one.save_exam_response(exam, position, right(paper.items[position]), remaining=5000.0)
    for position in range(5, 10):
        two.save_exam_response(exam, position, right(paper.items[position]), remaining=4000.0)
    two.save_exam_response(exam, 10, wrong(paper.items[10]), remaining=4000.0)
    two.save_exam_flag(exam, 11, True, remaining=4000.0)  # flagged, never answered: a blank

    submitted = submit_exam(cur, two, paper, exam, 3900.0)
    assert submitted.result.overall.correct == 10 and submitted.result.overall.total == 60
    assert sum(r is not None for r in submitted.responses) == 11
    with pytest.raises(ExamClosed):
        submit_exam(cur, one, paper, exam, 3000.0)
    with pytest.raises(ExamClosed):
        one.save_exam_response(exam, 20, right(paper.items[20]), remaining=2900.0)
    with pytest.raises(ExamClosed):
        one.save_exam_flag(exam, 21, True, remaining=2900.0)
    with pytest.raises(ExamClosed):
        one.save_exam_clock(exam, 2900.0, 21)

    assert exam_rows(path) == 11  # the answered questions, once; no blank ones
    (record,) = one.finished_exams()
    assert record.result is not None and record.result["correct"] == 10 and record.remaining == 3900.0
    assert 20 not in one.exam_answers(exam) and 21 not in one.exam_answers(exam)
    history = one.history()
    assert len(history) == 11 and sum(h.correct for h in history.values()) == 10
    one.close()
    two.close()


def test_finishing_a_finished_exam_changes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "progress.sqlite3")
    exam = store.start_exam(SEED, 90, [("q1", (0, 1))])
    store.save_exam_response(exam, 0, (1,), remaining=100.0)
    graded = [GradedAnswer("q1", "351.1", True, (1,))]
    store.finish_exam(exam, 50.0, lambda saved: ({"correct": 1, "seen": saved[0]}, graded))
    with pytest.raises(ExamClosed, match="already submitted"):
        store.finish_exam(exam, 10.0, lambda saved: ({"correct": 0}, graded))
    (record,) = store.finished_exams()
    assert record.result == {"correct": 1, "seen": [1]} and record.remaining == 50.0
    assert store.answer_count() == 1
    store.close()


def test_an_unfinished_or_abandoned_exam_counts_nothing_and_a_finished_one_only_its_answers(tmp_path: Path) -> None:
    """Home's readiness and ``lpic3 progress`` both read objective_progress; the command is run for real."""
    bundled = load_curriculum()
    home = tmp_path / "home"
    path = home / "progress.sqlite3"
    store = Store.open(path)

    def progress_report() -> dict[str, dict[str, object]]:
        result = run_lpic3("progress", "--json", env={"LPIC3_HOME": str(home)})
        assert result.returncode == 0, result.stderr
        return {row["objective"]: row for row in json.loads(result.stdout)["objectives"]}

    abandoned_paper = draw_exam(bundled, SEED)
    abandoned = start(store, abandoned_paper)
    for position in range(11):
        store.save_exam_response(abandoned, position, right(abandoned_paper.items[position]), remaining=4000.0)
    assert all(row.answered == row.attempts == 0 for row in objective_progress(bundled, store))  # unfinished
    store.abandon_exam(abandoned)
    assert all(row.answered == row.attempts == 0 for row in objective_progress(bundled, store))
    assert all(row["answered"] == 0 and row["accuracy"] is None for row in progress_report().values())

    paper = draw_exam(bundled, SEED + 1)
    exam = start(store, paper)
    for position in range(11):
        item = paper.items[position]
        store.save_exam_response(exam, position, right(item) if position % 2 else wrong(item), remaining=3000.0)
    submit_exam(bundled, store, paper, exam, 2000.0)
    answered: dict[str, int] = {}
    for item in paper.items[:11]:
        answered[item.question.objective] = answered.get(item.question.objective, 0) + 1
    rows = {row.objective: row for row in objective_progress(bundled, store)}
    assert {oid: row.answered for oid, row in rows.items() if row.answered} == answered
    assert sum(row.correct for row in rows.values()) == 5
    report = progress_report()
    assert {oid: row["attempts"] for oid, row in report.items() if row["attempts"]} == answered
    store.close()


def test_a_store_holding_an_exam_several_times_counts_each_answer_once(tmp_path: Path) -> None:
    """Databases written before submit happened once hold an exam's 60 rows per clock tick, and blanks."""
    path = tmp_path / "progress.sqlite3"
    store = Store.open(path)
    finished = store.start_exam(SEED, 90, [("q1", (0, 1)), ("q2", (0, 1)), ("q3", (0, 1))])
    store.finish_exam(finished, 10.0, lambda saved: ({}, []))
    open_exam = store.start_exam(SEED, 90, [("q1", (0, 1))])
    store.record_answer("q1", "351.1", "practice", False, (1,), at=1.0)
    for tick in range(4):
        for qid, ok, response in (("q1", True, (0,)), ("q2", False, "x"), ("q3", False, None)):
            store.record_answer(qid, "351.1", "exam", ok, response, exam_id=finished, at=100.0 + tick)
    store.record_answer("q2", "351.1", "exam", True, "y", exam_id=open_exam, at=200.0)
    history = store.history()
    assert set(history) == {"q1", "q2"}
    assert (history["q1"].attempts, history["q1"].correct, history["q1"].last_correct) == (2, 1, True)
    assert (history["q2"].attempts, history["q2"].correct, history["q2"].last_correct) == (1, 0, False)
    assert store.answer_count() == 3
    store.close()


CHILD = """
import sys, time
from pathlib import Path
from trainer.curriculum.loader import load_curriculum
from trainer.study.exam import draw_exam
from trainer.study.store import ExamClosed, Store
from trainer.study.submission import submit_exam

path, role, exam, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
store = Store.open(path)
cur = load_curriculum() if role == "submit" else None
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
if role == "answer":  # answers every question, round after round
    for round in range(8):
        for position in range(60):
            store.save_exam_response(exam, position, f"answer {position} round {round}", 3000.0)
elif role == "flag":  # flags and unflags every question, ending with the even ones flagged
    for round in range(9):
        for position in range(60):
            store.save_exam_flag(exam, position, (position + round) % 2 == 0, 3000.0)
else:
    try:
        result = submit_exam(cur, store, draw_exam(cur, int(sys.argv[5])), exam, 1000.0)
        print("submitted", result.result.overall.correct, flush=True)
    except ExamClosed:
        print("refused", flush=True)
store.close()
"""


def run_together(path: Path, exam: int, roles: list[str], *extra: str) -> list[str]:
    """Start one process per role, let them all go at the same moment, return what each printed last."""
    go = path.with_name("go")
    go.unlink(missing_ok=True)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), role, str(exam), str(go), *extra],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for role in roles
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    go.touch()
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def test_two_processes_answering_and_flagging_one_exam_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    store = Store.open(path)
    exam = store.start_exam(SEED, 90, [(f"q{i}", ()) for i in range(60)])
    started = time.monotonic()
    run_together(path, exam, ["answer", "flag"])
    saved = store.exam_answers(exam)
    assert saved == {p: (f"answer {p} round 7", (p + 8) % 2 == 0) for p in range(60)}, time.monotonic() - started
    store.close()


def test_two_processes_submitting_one_exam_record_it_once(tmp_path: Path) -> None:
    bundled = load_curriculum()
    path = tmp_path / "progress.sqlite3"
    store = Store.open(path)
    paper = draw_exam(bundled, SEED)
    exam = start(store, paper)
    for position in range(0, 60, 3):
        store.save_exam_response(exam, position, right(paper.items[position]), remaining=2000.0)
    outputs = run_together(path, exam, ["submit", "submit"], str(SEED))
    assert sorted(outputs) == ["refused", "submitted 20"]
    assert exam_rows(path) == 20 and len(store.finished_exams()) == 1 and store.unfinished_exam() is None
    store.close()
