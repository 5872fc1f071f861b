"""The progress store: one SQLite file in the user data directory.

Every answer, every exam (its paper, answers, flags, time left and result), lesson reading
positions and review cards. WAL mode and one transaction per change mean a crash or ``kill -9``
loses nothing that was committed.

Only a file that really is broken (not a database, or failing SQLite's integrity check) is moved
aside (never deleted) and a new one started, with a notice saying where the old one went. Anything
else is a ``StoreError`` and the file is left as it is: a file locked by another program (after
waiting ``LOCK_WAIT`` seconds), one written by a newer lpic3, a read-only file or a full disk. The
file and its folder are the user's alone (0600, 0700).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trainer import __version__
from trainer.errors import StoreError
from trainer.paths import private_data_dir, user_data_dir
from trainer.study.grading import Response

SCHEMA_VERSION = 1
FILE_NAME = "progress.sqlite3"
LOCK_WAIT = 10.0  # seconds to wait for another program's lock before saying the file is in use
# SQLite's primary result codes (the low byte of an extended code) that say the file itself is broken
_BROKEN_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}

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
    result TEXT,
    seed INTEGER
);
"""


class ExamClosed(StoreError):
    """The exam was already submitted (in this window or another): it takes no more answers or results."""

    def __init__(self, exam_id: int) -> None:
        super().__init__(f"mock exam {exam_id} was already submitted")
        self.exam_id = exam_id


@dataclass(frozen=True, slots=True)
class GradedAnswer:
    """One answered exam question as it goes into the answers table when the exam is submitted."""

    question_id: str
    objective: str
    correct: bool
    response: Response


# What a submitted exam records: its result and the questions the learner answered.
ExamGrader = Callable[[dict[int, Response | None]], tuple[dict[str, object], list[GradedAnswer]]]

# The answers that count as the learner's: every practice and review answer, and each answered
# question of a submitted exam once (databases written before exams could be submitted only once
# may hold an exam's answers several times, and blank exam questions).
_COUNTED_ANSWERS = """
SELECT id, question_id, correct, answered_at FROM answers
WHERE exam_id IS NULL OR id IN (
    SELECT MIN(a.id) FROM answers a JOIN exams e ON e.id = a.exam_id
    WHERE e.finished_at IS NOT NULL AND a.response IS NOT NULL GROUP BY a.exam_id, a.question_id
)
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
    def open(cls, path: Path | None = None, wait: float = LOCK_WAIT) -> Store:
        """Open (or create) the progress file; a StoreError says in one line why it cannot be used.

        ``notice`` is set when a broken file was moved aside: whoever opens the store must show it
        (``trainer.commands.store.open_store`` for commands, a notification in the TUI).
        """
        path = path or user_data_dir() / FILE_NAME
        try:
            private_data_dir(path.parent)
            _make_private(path)
        except OSError as exc:
            raise StoreError(f"cannot use the progress folder {path.parent}: {exc.strerror or exc}") from None
        try:
            return cls(_connect(path, wait), path)
        except _Broken as exc:
            return cls._start_over(path, exc, wait)
        except sqlite3.Error as exc:
            raise _store_error(path, exc, "open") from None

    @classmethod
    def _start_over(cls, path: Path, exc: _Broken, wait: float) -> Store:
        """Keep the broken file beside the new one, under a name that says what happened."""
        aside = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.rename(aside)
            for suffix in ("-wal", "-shm"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    extra.rename(aside.with_name(aside.name + suffix))
            _make_private(path)
            store = cls(_connect(path, wait), path)
        except OSError as error:
            raise StoreError(f"the progress file {path} is broken ({exc}) and cannot be replaced: {error}") from None
        except sqlite3.Error as error:
            raise _store_error(path, error, "start") from None
        store.notice = f"the progress file {path} was broken ({exc}); it was moved to {aside}, a new one was started"
        return store

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One committed change. A change that cannot be saved (full disk, read-only file, a lock held
        too long by another program) is a StoreError naming the file, never a bare sqlite3 error."""
        try:
            with self.db:
                yield self.db
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, "save to") from None

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
        """Per question, over the answers the learner gave: attempts, how many right, whether the last
        one was right, and when. Unsubmitted exams and blank exam questions are no answers."""
        rows = self.db.execute(
            f"WITH counted AS ({_COUNTED_ANSWERS})"
            " SELECT question_id, COUNT(*), SUM(correct), MAX(answered_at),"
            " (SELECT correct FROM counted b WHERE b.question_id = a.question_id ORDER BY answered_at DESC, id DESC"
            "  LIMIT 1) FROM counted a GROUP BY question_id"
        )
        return {qid: QuestionHistory(n, right, bool(last), at) for qid, n, right, at, last in rows}

    def answer_count(self) -> int:
        """How many answers the learner gave (what ``history`` counts)."""
        return int(self.db.execute(f"SELECT COUNT(*) FROM ({_COUNTED_ANSWERS})").fetchone()[0])

    # -- exams -----------------------------------------------------------------------------------
    def start_exam(self, seed: int, minutes: int, paper: list[tuple[str, tuple[int, ...]]]) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO exams (seed, minutes, paper, started_at, remaining) VALUES (?, ?, ?, ?, ?)",
                (seed, minutes, json.dumps(paper), time.time(), minutes * 60.0),
            )
            return int(cursor.lastrowid)  # type: ignore[arg-type]

    def save_exam_response(self, exam_id: int, position: int, response: Response | None, remaining: float) -> None:
        """One exam answer and the time left, in one transaction; the question's flag is left as it is.

        Raises ExamClosed if the exam was submitted meanwhile (by another window).
        """
        with self._tx() as db:
            self._touch_open_exam(db, exam_id, remaining, position)
            db.execute(
                "INSERT INTO exam_answers (exam_id, position, response) VALUES (?, ?, ?)"
                " ON CONFLICT (exam_id, position) DO UPDATE SET response = excluded.response",
                (exam_id, position, encode(response)),
            )

    def save_exam_flag(self, exam_id: int, position: int, flagged: bool, remaining: float) -> None:
        """One question's flag and the time left, in one transaction; its answer is left as it is.

        Raises ExamClosed if the exam was submitted meanwhile (by another window).
        """
        with self._tx() as db:
            self._touch_open_exam(db, exam_id, remaining, position)
            db.execute(
                "INSERT INTO exam_answers (exam_id, position, flagged) VALUES (?, ?, ?)"
                " ON CONFLICT (exam_id, position) DO UPDATE SET flagged = excluded.flagged",
                (exam_id, position, int(flagged)),
            )

    def save_exam_clock(self, exam_id: int, remaining: float, position: int) -> None:
        """The time left and the question shown. Raises ExamClosed if the exam was submitted meanwhile."""
        with self._tx() as db:
            self._touch_open_exam(db, exam_id, remaining, position)

    @staticmethod
    def _touch_open_exam(db: sqlite3.Connection, exam_id: int, remaining: float, position: int) -> None:
        """Save the clock of an exam still open; first in its transaction, so it takes the write lock
        before anything is read or written and a submit in another window cannot slip in between."""
        cursor = db.execute(
            "UPDATE exams SET remaining = ?, position = ? WHERE id = ? AND finished_at IS NULL",
            (remaining, position, exam_id),
        )
        if cursor.rowcount != 1:
            raise ExamClosed(exam_id)

    def exam_answers(self, exam_id: int) -> dict[int, tuple[Response | None, bool]]:
        """Per position answered or flagged: the response (None if blank) and the flag."""
        rows = self.db.execute("SELECT position, response, flagged FROM exam_answers WHERE exam_id = ?", (exam_id,))
        return {pos: (decode(resp), bool(flag)) for pos, resp, flag in rows}

    def exam_answer_responses(self, exam_id: int) -> dict[int, Response | None]:
        """Per position answered or flagged, the response (None if blank)."""
        return {pos: response for pos, (response, _) in self.exam_answers(exam_id).items()}

    def finish_exam(self, exam_id: int, remaining: float, grade: ExamGrader) -> None:
        """Submit the exam: ``grade`` scores the answers the database holds for it (whichever window
        saved them), and its result and the answered questions are recorded, all in one transaction.

        Raises ExamClosed, changing nothing, if the exam was already submitted.
        """
        now = time.time()
        with self._tx() as db:
            closing = db.execute(
                "UPDATE exams SET finished_at = ?, remaining = ? WHERE id = ? AND finished_at IS NULL",
                (now, remaining, exam_id),
            )
            if closing.rowcount != 1:
                raise ExamClosed(exam_id)
            result, graded = grade(self.exam_answer_responses(exam_id))
            db.execute("UPDATE exams SET result = ? WHERE id = ?", (json.dumps(result), exam_id))
            db.executemany(
                "INSERT INTO answers (question_id, objective, mode, correct, response, answered_at, exam_id)"
                " VALUES (?, ?, 'exam', ?, ?, ?, ?)",
                [(a.question_id, a.objective, int(a.correct), encode(a.response), now, exam_id) for a in graded],
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
    seed: int | None = None  # the seed the parameters were drawn with: the same seed draws them again


class LabAttempts:
    """Lab attempts: the parameters drawn at start (checks need them later), hints shown, results."""

    def __init__(self, store: Store) -> None:
        self.store, self.db = store, store.db

    def start(self, exercise_id: str, target: str, params: dict[str, str], seed: int | None = None) -> LabAttempt:
        with self.store._tx():
            cursor = self.db.execute(
                "INSERT INTO lab_attempts (exercise_id, target, params, started_at, seed) VALUES (?, ?, ?, ?, ?)",
                (exercise_id, target, json.dumps(params), time.time(), seed),
            )
        return self.get(int(cursor.lastrowid))  # type: ignore[arg-type, return-value]

    def get(self, attempt_id: int) -> LabAttempt | None:
        row = self.db.execute(
            "SELECT id, exercise_id, target, params, started_at, hints, checked_at, passed, seed"
            " FROM lab_attempts WHERE id = ?",
            (attempt_id,),
        ).fetchone()
        return _attempt(row) if row else None

    def current(self, exercise_id: str, target: str) -> LabAttempt | None:
        row = self.db.execute(
            "SELECT id, exercise_id, target, params, started_at, hints, checked_at, passed, seed"
            " FROM lab_attempts WHERE exercise_id = ? AND target = ? ORDER BY id DESC LIMIT 1",
            (exercise_id, target),
        ).fetchone()
        return _attempt(row) if row else None

    def record_check(self, attempt_id: int, passed: bool, result: list[dict[str, object]]) -> None:
        with self.store._tx():
            self.db.execute(
                "UPDATE lab_attempts SET checked_at = ?, passed = ?, result = ? WHERE id = ?",
                (time.time(), int(passed), json.dumps(result), attempt_id),
            )

    def next_hint(self, attempt_id: int) -> int:
        """Counts one more hint shown; returns how many have been shown now."""
        with self.store._tx():
            self.db.execute("UPDATE lab_attempts SET hints = hints + 1 WHERE id = ?", (attempt_id,))
        return int(self.db.execute("SELECT hints FROM lab_attempts WHERE id = ?", (attempt_id,)).fetchone()[0])

    def passed_exercises(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT exercise_id FROM lab_attempts WHERE passed = 1")}


def _attempt(row: tuple) -> LabAttempt:  # type: ignore[type-arg]
    id_, exercise, target, params, started, hints, checked, passed, seed = row
    verdict = None if passed is None else bool(passed)
    return LabAttempt(id_, exercise, target, json.loads(params), started, hints, checked, verdict, seed)


class _Broken(Exception):
    """The file is not a database or fails SQLite's integrity check: the one case it is moved aside."""


def _make_private(path: Path) -> None:
    """Create the progress file 0600 (SQLite gives its -wal and -shm files the same mode) and tighten
    one that an older lpic3 left readable by others."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                info = each.stat()
            except FileNotFoundError:
                continue
            if info.st_uid == os.geteuid() and info.st_mode & 0o077 and stat.S_ISREG(info.st_mode):
                each.chmod(0o600)
    else:
        os.close(fd)


def _store_error(path: Path, exc: sqlite3.Error, doing: str) -> StoreError:
    """One line for the user that names the file and what is wrong with it."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(f"the progress file {path} is in use by another program; close it and try again")
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) and not os.access(path.parent, os.W_OK):
        reason = f"its folder {path.parent} is read-only"  # SQLite needs to write its -wal and -shm files there
    else:
        reason = {
            sqlite3.SQLITE_FULL: "the disk is full",
            sqlite3.SQLITE_READONLY: "the file is read-only",
            sqlite3.SQLITE_PERM: "permission denied",
            sqlite3.SQLITE_IOERR: "a disk input/output error",
        }.get(code, str(exc))
    return StoreError(f"cannot {doing} the progress file {path}: {reason}")


def _connect(path: Path, wait: float) -> sqlite3.Connection:
    """Open and check the file, waiting up to ``wait`` seconds for another program's lock.

    Raises ``_Broken`` only for a file that is not a database or fails its integrity check, and
    StoreError for a file written by a newer lpic3; any other sqlite3 error is raised as it is.
    """
    db = sqlite3.connect(path, timeout=wait, isolation_level="DEFERRED", check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise _Broken(f"integrity check: {'; '.join(problems)[:200]}")
        with db:
            db.executescript(_SCHEMA)
            _check_version(db, path)
            _add_columns(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _BROKEN_CODES:
            raise _Broken(str(exc)) from None
        raise
    except BaseException:
        db.close()
        raise
    return db


def _add_columns(db: sqlite3.Connection) -> None:
    """Columns added since a table was first made (older lpic3 versions name their columns, so they
    still read and write the file)."""
    if "seed" not in {row[1] for row in db.execute("PRAGMA table_info(lab_attempts)")}:
        db.execute("ALTER TABLE lab_attempts ADD COLUMN seed INTEGER")


def _check_version(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a file from a newer lpic3 (its format is unknown here); record which lpic3 writes this one."""
    meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('schema', 'lpic3')"))
    schema = meta.get("schema", str(SCHEMA_VERSION))
    if not schema.isdigit():
        raise StoreError(f"the progress file {path} has an unknown format marker {schema[:40]!r}; it was left as it is")
    if int(schema) > SCHEMA_VERSION:
        writer = meta.get("lpic3", "an unknown version")
        raise StoreError(
            f"the progress file {path} was written by lpic3 {writer} (format {schema}); this lpic3 {__version__}"
            f" reads format {SCHEMA_VERSION} at most: update lpic3, the file was left as it is"
        )
    wanted = {"schema": str(SCHEMA_VERSION), "lpic3": __version__}
    if meta != wanted:  # written only when it changes: a read-only file of this version still opens
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", wanted.items())


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
