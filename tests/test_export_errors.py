"""`lpic3 export`'s bad input: an output folder that is missing, read-only or full, an objective
that does not exist, an empty or folder output path. Each is one line and exit status 2; nothing
half-written is left, and an older export at the same path is kept as it was.

Root ignores file modes, so as root a read-only folder is a read-only bind mount and a full disk
a tiny tmpfs, both in a private mount namespace (``unshare --mount``) that disappears with the
run: the machine never sees them.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_lpic3
from tests.export_fixtures import special
from trainer.curriculum.model import Curriculum
from trainer.errors import UsageError
from trainer.export.bank import select

__all__ = ["special"]  # a fixture, used by name
ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="a private mount namespace needs root")
# The formats write through the same code; each test runs with one or two of them (CI time).
FORMATS = {"anki": ["anki"], "moodle": ["moodle"], "gift": ["moodle", "--format", "gift"]}


def in_private_mounts(prelude: str, folder: Path, *args: str) -> tuple[int, str, list[str], str]:
    """``lpic3 ARGS`` after ``prelude`` in a private mount namespace: exit status, stderr, and what
    ``folder`` holds afterwards (names, and the text of ``old.txt``), seen from inside."""
    script = (
        f'{prelude}\nstatus=0; "$@" >/dev/null || status=$?\n'
        f"echo \"$status\"; ls -A {folder}; echo '---'; cat {folder}/old.txt 2>/dev/null || true"
    )
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "/bin/bash", "-euc", script, "lpic3",
         sys.executable, "-m", "trainer", *args],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    listing, _, old = result.stdout.partition("---\n")
    status_line, *names = listing.splitlines()
    return int(status_line), result.stderr, names, old


@pytest.mark.parametrize("kind", ["gift"])
def test_a_missing_folder_is_one_line(special: Curriculum, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "missing" / "bank.out"
    result = run_lpic3("export", *FORMATS[kind], str(special.root), "-o", str(out))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"lpic3: cannot write {out}: the folder {out.parent} does not exist\n"
    assert not out.parent.exists()


@pytest.mark.parametrize("kind", ["moodle"])
def test_an_objective_that_does_not_exist_names_the_known_ones(special: Curriculum, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "bank.out"
    result = run_lpic3("export", *FORMATS[kind], str(special.root), "--objective", "351.1", "--objective", "351.9",
                       "-o", str(out))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == f"lpic3: no objective 351.9 in this curriculum (known: {', '.join(special.objectives)})\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("output", "message"), [("", "-o: the path is empty"), (".", "cannot write .: it is a folder")]
)
def test_an_output_that_is_no_file(special: Curriculum, tmp_path: Path, output: str, message: str) -> None:
    result = run_lpic3("export", "anki", str(special.root), "-o", output, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, f"lpic3: {message}\n")
    assert list(tmp_path.iterdir()) == []


@ROOT
@pytest.mark.parametrize("kind", ["anki"])
def test_a_read_only_folder_is_one_line_and_keeps_the_old_export(
    special: Curriculum, tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "old.txt").write_text("the export of last week\n")
    prelude = f"mount --bind {folder} {folder}\nmount -o remount,bind,ro {folder}"
    out = folder / "old.txt"
    status, stderr, names, old = in_private_mounts(prelude, folder, "export", *FORMATS[kind], str(special.root),
                                                   "-o", str(out))  # fmt: skip
    assert (status, stderr) == (2, f"lpic3: cannot write {out}: the folder {folder} is on a read-only file system\n")
    assert (names, old) == (["old.txt"], "the export of last week\n")


@ROOT
@pytest.mark.parametrize("kind", ["anki", "moodle"])  # a zip and a plain document
def test_a_full_disk_leaves_nothing_half_written(special: Curriculum, tmp_path: Path, kind: str) -> None:
    """The export does not fit: the temporary file is removed, the older export at the path is intact."""
    folder = tmp_path / "out"
    folder.mkdir()
    prelude = f"mount -t tmpfs -o size=8k lpic3-test-full {folder}\necho 'the export of last week' > {folder}/old.txt"
    out = folder / "old.txt"
    status, stderr, names, old = in_private_mounts(prelude, folder, "export", *FORMATS[kind], str(special.root),
                                                   "-o", str(out))  # fmt: skip
    assert (status, stderr) == (2, f"lpic3: cannot write {out}: the disk is full\n")
    assert (names, old) == (["old.txt"], "the export of last week\n")


def test_an_export_replaces_an_older_one_whole(special: Curriculum, tmp_path: Path) -> None:
    """The new file takes the old one's place by a rename, with the mode a new file gets (not mkstemp's 0600)."""
    out = tmp_path / "bank.xml"
    out.write_text("old")
    result = run_lpic3("export", "moodle", str(special.root), "--objective", "351.5", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["bank.xml"]
    assert out.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_path_too_long_is_one_short_line(special: Curriculum, tmp_path: Path) -> None:
    out = tmp_path / ("x" * 300) / "bank.apkg"
    result = run_lpic3("export", "anki", str(special.root), "-o", str(out))
    assert result.returncode == 2
    assert result.stderr.startswith(f"lpic3: cannot write {tmp_path}/xxx")
    assert result.stderr.endswith("/bank.apkg: the path is too long\n") and len(result.stderr) < 300


def test_a_selection_without_questions_is_refused(special: Curriculum) -> None:
    """Objectives that exist but hold no question: an empty deck would look like a successful export."""
    empty = dataclasses.replace(special, questions=[q for q in special.questions if q.objective != "352.4"])
    with pytest.raises(UsageError) as refused:
        select(empty, ["352.4"])
    assert refused.value.message == "no questions to export in 352.4"
    with pytest.raises(UsageError, match=r"^no questions to export in this curriculum$"):
        select(dataclasses.replace(special, questions=[]), None)
    assert [g.objective.id for g in select(empty, ["352.4", "351.1"])] == ["351.1"]
