"""The instructor's gradebook: one SQLite file, ``class.db``, beside the learner's progress file.

Kept apart from the progress store on purpose: the learner's tables describe one person's study,
the gradebook a whole class (an instructor who also studies keeps both, and neither can spoil the
other). It holds, per student and lab, the attempt (the parameters drawn for that student and the
seed), the last state of the machine (checked, unreachable, no answer, host key changed ...), and
per check: the last result with what was expected and seen, how many judged runs (attempts), and
when it first passed.

Every host's result is one transaction, committed before the command shows its row: a killed
``class lab check`` loses nothing it had shown, and leaves no half-recorded host. A run of checks
that was not judged (a timeout) changes no result and counts no attempt. WAL mode, ``synchronous
= FULL``, the file 0600; a file written by a newer lpic3 or not a database is refused in one line and
left as it is.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from checkers.probes import NOT_JUDGED, PASS
from trainer.errors import StoreError
from trainer.paths import private_data_dir, user_data_dir

FILE_NAME = "class.db"
SCHEMA_VERSION = 1
LOCK_WAIT = 10.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    student TEXT NOT NULL, lab TEXT NOT NULL, target TEXT NOT NULL, params TEXT NOT NULL,
    seed INTEGER NOT NULL, started_at REAL NOT NULL, passed_at REAL,
    PRIMARY KEY (student, lab)
);
CREATE TABLE IF NOT EXISTS hosts (
    student TEXT NOT NULL, lab TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (student, lab)
);
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL, lab TEXT NOT NULL, check_id TEXT NOT NULL, outcome TEXT NOT NULL,
    expected TEXT NOT NULL, seen TEXT NOT NULL, attempts INTEGER NOT NULL, first_pass_at REAL,
    checked_at REAL NOT NULL,
    PRIMARY KEY (student, lab, check_id)
);
"""


@dataclass(frozen=True, slots=True)
class Attempt:
    """A student's current attempt at a lab: what its setup drew."""

    student: str
    lab: str
    target: str
    params: dict[str, str]
    seed: int
    started_at: float
    passed_at: float | None


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """The gradebook's line for one check of one student's lab."""

    check_id: str
    outcome: str  # pass, fail, not judged
    expected: str
    seen: str
    attempts: int
    first_pass_at: float | None
    checked_at: float


@dataclass(frozen=True, slots=True)
class HostRecord:
    status: str
    detail: str
    at: float


class Gradebook:
    """The class's results. Open with ``Gradebook.open()``; each ``record_*`` is one transaction.
    One thread at a time (the connection may be handed to another thread)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db, self.path = db, path

    @classmethod
    def open(cls, path: Path | None = None) -> Gradebook:
        path = path or user_data_dir() / FILE_NAME
        try:
            private_data_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            os.close(fd)
        except OSError as exc:
            raise StoreError(f"cannot use the class gradebook {path}: {exc.strerror or exc}") from None
        try:
            db = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level="DEFERRED", check_same_thread=False)
        except sqlite3.Error as exc:
            raise _error(path, exc, "open") from None
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            with db:
                db.executescript(_SCHEMA)
                _check_version(db, path)
        except sqlite3.Error as exc:
            db.close()
            raise _error(path, exc, "open") from None
        except BaseException:
            db.close()
            raise
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.db:
                yield self.db
        except sqlite3.Error as exc:
            raise _error(self.path, exc, "save to") from None

    # -- writing -------------------------------------------------------------------------------------
    def record_start(self, student: str, lab: str, target: str, params: dict[str, str], seed: int) -> None:
        """A new attempt: its values, and a clean slate of results and machine state."""
        with self._tx() as db:
            db.execute("DELETE FROM results WHERE student = ? AND lab = ?", (student, lab))
            db.execute(
                "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (student, lab, target, json.dumps(params), seed, time.time()),
            )
            _host(db, student, lab, "started", "")

    def record_reset(self, student: str, lab: str) -> None:
        """The lab was reset on the machine: the attempt is over (its results stay, for the report)."""
        with self._tx() as db:
            db.execute("DELETE FROM attempts WHERE student = ? AND lab = ?", (student, lab))
            _host(db, student, lab, "reset", "")

    def record_host(self, student: str, lab: str, status: str, detail: str) -> None:
        """The machine's state when no check could be judged (unreachable, no answer ...)."""
        with self._tx() as db:
            _host(db, student, lab, status, detail)

    def record_checks(self, student: str, lab: str, results: Sequence[dict[str, object]]) -> None:
        """One run of checks (``CheckResult.to_json()`` each). A check not judged keeps its last
        result and counts no attempt; a judged one counts one and may be the first pass."""
        now = time.time()
        with self._tx() as db:
            for result in results:
                outcome = str(result["outcome"])
                if outcome == NOT_JUDGED:
                    continue
                passed_at = now if outcome == PASS else None
                db.execute(
                    "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (student, lab, check_id) DO "
                    "UPDATE SET outcome = excluded.outcome, expected = excluded.expected, seen = excluded.seen, "
                    "attempts = attempts + 1, first_pass_at = COALESCE(first_pass_at, excluded.first_pass_at), "
                    "checked_at = excluded.checked_at",
                    (student, lab, result["id"], outcome, str(result["expected"]), str(result["seen"]), passed_at, now),
                )
            judged = [r for r in results if r["outcome"] != NOT_JUDGED]
            if results and all(r["outcome"] == PASS for r in results):
                db.execute(
                    "UPDATE attempts SET passed_at = COALESCE(passed_at, ?) WHERE student = ? AND lab = ?",
                    (now, student, lab),
                )
            status = "checked" if len(judged) == len(results) else "partly judged"
            _host(db, student, lab, status, "")

    # -- reading -------------------------------------------------------------------------------------
    def attempt(self, student: str, lab: str) -> Attempt | None:
        row = self.db.execute(
            "SELECT student, lab, target, params, seed, started_at, passed_at FROM attempts "
            "WHERE student = ? AND lab = ?",
            (student, lab),
        ).fetchone()
        if row is None:
            return None
        return Attempt(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6])

    def results(self, student: str, lab: str) -> dict[str, CheckRecord]:
        rows = self.db.execute(
            "SELECT check_id, outcome, expected, seen, attempts, first_pass_at, checked_at FROM results "
            "WHERE student = ? AND lab = ?",
            (student, lab),
        )
        return {row[0]: CheckRecord(*row) for row in rows}

    def host(self, student: str, lab: str) -> HostRecord | None:
        row = self.db.execute(
            "SELECT status, detail, at FROM hosts WHERE student = ? AND lab = ?", (student, lab)
        ).fetchone()
        return HostRecord(*row) if row else None

    def labs(self, students: Sequence[str]) -> list[str]:
        """The labs any of ``students`` started or was checked on, sorted."""
        marks = ",".join("?" * len(students))
        found = {
            row[0]
            for table in ("attempts", "results", "hosts")
            for row in self.db.execute(f"SELECT DISTINCT lab FROM {table} WHERE student IN ({marks})", tuple(students))
        }
        return sorted(found)


def _host(db: sqlite3.Connection, student: str, lab: str, status: str, detail: str) -> None:
    db.execute("INSERT OR REPLACE INTO hosts VALUES (?, ?, ?, ?, ?)", (student, lab, status, detail, time.time()))


def _check_version(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a gradebook from a newer lpic3 (its format is unknown here)."""
    found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if found is None:
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    elif not str(found[0]).isdigit() or int(found[0]) > SCHEMA_VERSION:
        raise StoreError(
            f"the class gradebook {path} has format {str(found[0])[:20]!r}, newer than this lpic3 reads "
            f"({SCHEMA_VERSION}): update lpic3; the file was left as it is"
        )


def _error(path: Path, exc: sqlite3.Error, doing: str) -> StoreError:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    reason = {
        sqlite3.SQLITE_BUSY: "it is in use by another program",
        sqlite3.SQLITE_LOCKED: "it is in use by another program",
        sqlite3.SQLITE_FULL: "the disk is full",
        sqlite3.SQLITE_READONLY: "the file is read-only",
        sqlite3.SQLITE_NOTADB: "it is not a database (the file was left as it is)",
        sqlite3.SQLITE_CORRUPT: "it is damaged (the file was left as it is)",
    }.get(code, str(exc))
    return StoreError(f"cannot {doing} the class gradebook {path}: {reason}")
