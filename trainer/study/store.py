"""The progress store: one SQLite file in the user data directory.

Every answer, every exam (its paper, answers, flags, time left and result), lesson reading
positions and review cards. WAL mode and one transaction per change mean a crash or ``kill -9``
loses nothing that was committed. A file that is not a usable database is moved aside (never
deleted) and a new one started, with a notice saying where the old one went.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import StoreError
from trainer.paths import user_data_dir
from trainer.study.grading import Response

SCHEMA_VERSION = 1
FILE_NAME = "progress.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    question_id TEXT NOT NULL,
    objective TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('practice', 'exam', 'review')),
    correct INTEGER NOT NULL,
    response TEXT,
    answered_at REAL NOT NULL,
    exam_id INTEGER REFERENCES exams(id)
);
CREATE INDEX IF NOT EXISTS answers_by_question ON answers (question_id, answered_at);
CREATE TABLE IF NOT EXISTS exams (
    id INTEGER PRIMARY KEY,
    seed INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    paper TEXT NOT NULL,
    started_at REAL NOT NULL,
    remaining REAL NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    result TEXT
);
CREATE TABLE IF NOT EXISTS exam_answers (
    exam_id INTEGER NOT NULL REFERENCES exams(id),
    position INTEGER NOT NULL,
    response TEXT,
    flagged INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (exam_id, position)
);
CREATE TABLE IF NOT EXISTS lessons (
    objective TEXT PRIMARY KEY, position REAL NOT NULL, furthest REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cards (question_id TEXT PRIMARY KEY, card TEXT NOT NULL, due REAL NOT NULL);
CREATE TABLE IF NOT EXISTS lab_attempts (
    id INTEGER PRIMARY KEY,
    exercise_id TEXT NOT NULL,
    target TEXT NOT NULL,
    params TEXT NOT NULL,
    started_at REAL NOT NULL,
    hints INTEGER NOT NULL DEFAULT 0,
    checked_at REAL,
    passed INTEGER,
    result TEXT
);
"""


@dataclass(frozen=True, slots=True)
class QuestionHistory:
    attempts: int
    correct: int
    last_correct: bool
    last_at: float


@dataclass(frozen=True, slots=True)
class ExamRecord:
    id: int
    seed: int
    minutes: int
    paper: list[tuple[str, tuple[int, ...]]]
    started_at: float
    remaining: float
    position: int
    finished_at: float | None
    result: dict[str, object] | None


def encode(response: Response | None) -> str | None:
    return None if response is None else json.dumps(list(response) if isinstance(response, tuple) else response)


def decode(text: str | None) -> Response | None:
    if text is None:
        return None
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


class Store:
    """The learner's progress. Open with ``Store.open()``; every method commits its own change."""

    def __init__(self, connection: sqlite3.Connection, path: Path, notice: str | None = None) -> None:
        self.db, self.path, self.notice = connection, path, notice

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        path = path or user_data_dir() / FILE_NAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return cls(_connect(path), path)
        except OSError as exc:
            raise StoreError(f"cannot use the progress folder {path.parent}: {exc.strerror or exc}") from None
        except sqlite3.OperationalError as exc:
            if "unable to open" in str(exc) or "readonly" in str(exc) or "disk" in str(exc):
                raise StoreError(f"cannot open the progress file {path}: {exc}") from None
            return cls._start_over(path, exc)
        except sqlite3.DatabaseError as exc:
            return cls._start_over(path, exc)

    @classmethod
    def _start_over(cls, path: Path, exc: Exception) -> Store:
        """Keep the unusable file beside the new one, under a name that says what happened."""
        aside = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                extra.rename(aside.with_name(aside.name + suffix))
        notice = f"the progress file {path} could not be opened ({exc}); it was moved to {aside}, a new one was started"
        return cls(_connect(path), path, notice)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    # -- answers ---------------------------------------------------------------------------------
    def record_answer(
        self,
        question_id: str,
        objective: str,
        mode: str,
        correct: bool,
        response: Response | None,
        exam_id: int | None = None,
        at: float | None = None,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO answers (question_id, objective, mode, correct, response, answered_at, exam_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (question_id, objective, mode, int(correct), encode(response), at or time.time(), exam_id),
            )

    def history(self) -> dict[str, QuestionHistory]:
        """Per question: attempts, how many right, whether the last one was right, and when."""
        rows = self.db.execute(
            "SELECT question_id, COUNT(*), SUM(correct), MAX(answered_at),"
            " (SELECT correct FROM answers b WHERE b.question_id = a.question_id ORDER BY answered_at DESC, id DESC"
            "  LIMIT 1) FROM answers a GROUP BY question_id"
        )
        return {qid: QuestionHistory(n, right, bool(last), at) for qid, n, right, at, last in rows}

    def answer_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    # -- exams -----------------------------------------------------------------------------------
    def start_exam(self, seed: int, minutes: int, paper: list[tuple[str, tuple[int, ...]]]) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO exams (seed, minutes, paper, started_at, remaining) VALUES (?, ?, ?, ?, ?)",
                (seed, minutes, json.dumps(paper), time.time(), minutes * 60.0),
            )
            return int(cursor.lastrowid)  # type: ignore[arg-type]

    def save_exam_answer(
        self, exam_id: int, position: int, response: Response | None, flagged: bool, remaining: float
    ) -> None:
        """One exam answer (or flag) and the time left, in one transaction."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO exam_answers (exam_id, position, response, flagged) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (exam_id, position) DO UPDATE SET response = excluded.response,"
                " flagged = excluded.flagged",
                (exam_id, position, encode(response), int(flagged)),
            )
            db.execute("UPDATE exams SET remaining = ?, position = ? WHERE id = ?", (remaining, position, exam_id))

    def save_exam_clock(self, exam_id: int, remaining: float, position: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE exams SET remaining = ?, position = ? WHERE id = ?", (remaining, position, exam_id))

    def exam_answers(self, exam_id: int) -> dict[int, tuple[Response | None, bool]]:
        rows = self.db.execute("SELECT position, response, flagged FROM exam_answers WHERE exam_id = ?", (exam_id,))
        return {pos: (decode(resp), bool(flag)) for pos, resp, flag in rows}

    def finish_exam(
        self,
        exam_id: int,
        result: dict[str, object],
        graded: list[tuple[str, str, bool, Response | None]],
        remaining: float,
    ) -> None:
        """Close the exam with its result and record each graded answer, atomically."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "UPDATE exams SET finished_at = ?, result = ?, remaining = ? WHERE id = ?",
                (now, json.dumps(result), remaining, exam_id),
            )
            db.executemany(
                "INSERT INTO answers (question_id, objective, mode, correct, response, answered_at, exam_id)"
                " VALUES (?, ?, 'exam', ?, ?, ?, ?)",
                [(qid, oid, int(ok), encode(resp), now, exam_id) for qid, oid, ok, resp in graded],
            )

    def abandon_exam(self, exam_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM exam_answers WHERE exam_id = ?", (exam_id,))
            db.execute("DELETE FROM exams WHERE id = ? AND finished_at IS NULL", (exam_id,))

    def unfinished_exam(self) -> ExamRecord | None:
        row = self.db.execute("SELECT * FROM exams WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
        return _exam(row) if row else None

    def finished_exams(self) -> list[ExamRecord]:
        rows = self.db.execute("SELECT * FROM exams WHERE finished_at IS NOT NULL ORDER BY finished_at")
        return [_exam(r) for r in rows]

    # -- lessons ---------------------------------------------------------------------------------
    def set_lesson_position(self, objective: str, position: float) -> None:
        """Where the reader left the lesson (to reopen it there) and the furthest point ever reached."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO lessons VALUES (?, ?, ?, ?) ON CONFLICT (objective) DO UPDATE SET"
                " position = excluded.position, furthest = MAX(furthest, excluded.position),"
                " updated_at = excluded.updated_at",
                (objective, position, position, time.time()),
            )

    def lesson_positions(self) -> dict[str, float]:
        return dict(self.db.execute("SELECT objective, position FROM lessons"))

    def lesson_furthest(self) -> dict[str, float]:
        return dict(self.db.execute("SELECT objective, furthest FROM lessons"))

    # -- review cards ----------------------------------------------------------------------------
    def card(self, question_id: str) -> str | None:
        row = self.db.execute("SELECT card FROM cards WHERE question_id = ?", (question_id,)).fetchone()
        return row[0] if row else None

    def put_card(self, question_id: str, card: str, due: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO cards VALUES (?, ?, ?) ON CONFLICT (question_id) DO UPDATE SET"
                " card = excluded.card, due = excluded.due",
                (question_id, card, due),
            )

    def due(self, until: float) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT question_id FROM cards WHERE due <= ? ORDER BY due", (until,))]


@dataclass(frozen=True, slots=True)
class LabAttempt:
    id: int
    exercise_id: str
    target: str
    params: dict[str, str]
    started_at: float
    hints: int
    checked_at: float | None
    passed: bool | None


class LabAttempts:
    """Lab attempts: the parameters drawn at start (checks need them later), hints shown, results."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def start(self, exercise_id: str, target: str, params: dict[str, str]) -> LabAttempt:
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO lab_attempts (exercise_id, target, params, started_at) VALUES (?, ?, ?, ?)",
                (exercise_id, target, json.dumps(params), time.time()),
            )
        return self.get(int(cursor.lastrowid))  # type: ignore[arg-type, return-value]

    def get(self, attempt_id: int) -> LabAttempt | None:
        row = self.db.execute(
            "SELECT id, exercise_id, target, params, started_at, hints, checked_at, passed"
            " FROM lab_attempts WHERE id = ?",
            (attempt_id,),
        ).fetchone()
        return _attempt(row) if row else None

    def current(self, exercise_id: str, target: str) -> LabAttempt | None:
        row = self.db.execute(
            "SELECT id, exercise_id, target, params, started_at, hints, checked_at, passed"
            " FROM lab_attempts WHERE exercise_id = ? AND target = ? ORDER BY id DESC LIMIT 1",
            (exercise_id, target),
        ).fetchone()
        return _attempt(row) if row else None

    def record_check(self, attempt_id: int, passed: bool, result: list[dict[str, object]]) -> None:
        with self.db:
            self.db.execute(
                "UPDATE lab_attempts SET checked_at = ?, passed = ?, result = ? WHERE id = ?",
                (time.time(), int(passed), json.dumps(result), attempt_id),
            )

    def next_hint(self, attempt_id: int) -> int:
        """Counts one more hint shown; returns how many have been shown now."""
        with self.db:
            self.db.execute("UPDATE lab_attempts SET hints = hints + 1 WHERE id = ?", (attempt_id,))
        return self.db.execute("SELECT hints FROM lab_attempts WHERE id = ?", (attempt_id,)).fetchone()[0]

    def passed_exercises(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT exercise_id FROM lab_attempts WHERE passed = 1")}


def _attempt(row: tuple) -> LabAttempt:  # type: ignore[type-arg]
    id_, exercise, target, params, started, hints, checked, passed = row
    return LabAttempt(
        id_, exercise, target, json.loads(params), started, hints, checked, None if passed is None else bool(passed)
    )


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")
        with db:
            db.executescript(_SCHEMA)
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(version[0]) > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"made by a newer lpic3 (schema {version[0]})")
    except BaseException:
        db.close()
        raise
    return db


def _exam(row: tuple) -> ExamRecord:  # type: ignore[type-arg]
    id_, seed, minutes, paper, started, remaining, position, finished, result = row
    return ExamRecord(
        id_,
        seed,
        minutes,
        [(qid, tuple(order)) for qid, order in json.loads(paper)],
        started,
        remaining,
        position,
        finished,
        json.loads(result) if result else None,
    )
