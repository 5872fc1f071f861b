"""The class gradebook: attempts and first passes counted from judged runs only, a file from a newer
lpic3 or that is not a database refused in one line and left as it is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from trainer.classroom.gradebook import Gradebook
from trainer.errors import StoreError


def run(*outcomes: str) -> list[dict[str, object]]:
    return [{"id": f"c{n}", "outcome": o, "expected": "x", "seen": "y"} for n, o in enumerate(outcomes)]


def test_attempts_and_first_pass_come_from_judged_runs(tmp_path: Path) -> None:
    with Gradebook.open(tmp_path / "class.db") as book:
        book.record_start("ann", "lab", "ssh://root@h:22", {"workdir": "/w"}, 7)
        book.record_checks("ann", "lab", run("fail", "fail"))
        book.record_checks("ann", "lab", run("not judged", "not judged"))  # a timeout: says nothing
        book.record_checks("ann", "lab", run("pass", "fail"))
        first = book.results("ann", "lab")["c0"].first_pass_at
        book.record_checks("ann", "lab", run("pass", "pass"))
        results = book.results("ann", "lab")
        assert [results[c].attempts for c in ("c0", "c1")] == [3, 3]
        assert results["c0"].first_pass_at == first is not None
        assert results["c1"].first_pass_at is not None and results["c1"].outcome == "pass"
        attempt = book.attempt("ann", "lab")
        assert attempt is not None and attempt.passed_at is not None and attempt.seed == 7
        book.record_start("ann", "lab", "ssh://root@h:22", {"workdir": "/v"}, 8)  # a new start: a clean slate
        assert book.results("ann", "lab") == {} and book.attempt("ann", "lab").passed_at is None  # type: ignore[union-attr]
        book.record_host("bob", "lab", "unreachable", "no route to host")
        assert book.labs(["ann", "bob"]) == ["lab"] and book.host("bob", "lab").status == "unreachable"  # type: ignore[union-attr]
    again = Gradebook.open(tmp_path / "class.db")  # what was committed is there after reopening
    assert again.attempt("ann", "lab").params == {"workdir": "/v"}  # type: ignore[union-attr]
    again.close()
    assert (tmp_path / "class.db").stat().st_mode & 0o777 == 0o600


def test_a_newer_or_foreign_file_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    Gradebook.open(newer).close()
    db = sqlite3.connect(newer)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"newer than this lpic3 reads .*left as it is"):
        Gradebook.open(newer)
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"not a database at all, just text " * 100)
    with pytest.raises(StoreError, match="not a database"):
        Gradebook.open(foreign)
    assert foreign.read_bytes().startswith(b"not a database")
