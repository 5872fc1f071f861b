"""No command ends in a traceback: every subcommand, run as a user runs it, with a broken data
folder (a file; a folder it may not write), a broken content tree and a target that is not there,
ends with one line on stderr and the exit status README documents (``trainer.errors``).

Inputs a command does not take are left out of the matrix. Nothing here changes a machine: lab
commands run without ``--yes`` on a target that is not a sandbox (so they stop before any change),
and the sandbox commands find no image in the broken data folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, Tree
from trainer.errors import CANNOT_RUN, FAILED

OK = 0
LAB = "351.1-cpu-virt-flags"  # needs nothing: its commands get as far as the store, the consent or the target
UNREACHABLE = "ssh://nobody@127.0.0.1:1"

# command: (its arguments, how it is given a content tree, whether it uses the data folder, whether it takes --target)
COMMANDS: dict[str, tuple[tuple[str, ...], str | None, bool, bool]] = {
    "lint": (("lint",), "positional", False, False),
    "stats": (("stats",), "positional", False, False),
    "exam new": (("exam", "new", "--seed", "7"), "--path", False, False),
    "exam grade": (("exam", "grade", "sheet.yaml"), "--path", False, False),
    "progress": (("progress",), "--path", True, False),
    "labs": (("labs",), "--path", True, False),
    **{
        f"lab {action}": (("lab", action, LAB), "--path", True, True)
        for action in ("show", "start", "check", "hint", "reset", "solve", "selftest")
    },
    "doctor": (("doctor",), "--path", False, True),
    **{
        f"sandbox {action}": (("sandbox", action), None, True, False)
        for action in ("status", "up", "down", "reset", "shell", "destroy", "build")
    },
}

STORE = "cannot use the progress folder {home}"
CONSENT = "not a throw-away sandbox: add --yes"
SANDBOX_FILES = "cannot use the sandbox's files ({home}/sandbox"
NO_IMAGE = "no sandbox image yet"
NOT_RUNNING = "the sandbox is not running"
NOT_BUILT = "needs root|is not installed|" + SANDBOX_FILES  # sandbox build stops at its first missing piece
BROKEN_TREE = "questions.yaml:2: error: YAML syntax"
NOT_STARTED = f"was not started on {UNREACHABLE.removeprefix('ssh://')} (ssh)"

# (command, input): the exit status and what its one stderr line says ("a|b": either). Status 0: no stderr.
EXPECTED: dict[tuple[str, str], tuple[int, str]] = {
    **{
        (c, home): (FAILED, STORE)
        for c in COMMANDS
        if c in ("progress", "labs") or c.startswith("lab ")
        for home in ("home-file", "home-unwritable")
    },
    ("lab selftest", "home-file"): (CANNOT_RUN, CONSENT),  # it keeps nothing in the data folder
    ("lab selftest", "home-unwritable"): (CANNOT_RUN, CONSENT),
    ("sandbox status", "home-file"): (OK, ""),  # "not built, not running": true, and nothing to write
    ("sandbox up", "home-file"): (FAILED, NO_IMAGE),
    ("sandbox down", "home-file"): (FAILED, SANDBOX_FILES),
    ("sandbox reset", "home-file"): (FAILED, SANDBOX_FILES),
    ("sandbox shell", "home-file"): (FAILED, NOT_RUNNING),
    ("sandbox destroy", "home-file"): (FAILED, SANDBOX_FILES),
    ("sandbox build", "home-file"): (FAILED, NOT_BUILT),
    ("sandbox status", "home-unwritable"): (OK, ""),
    ("sandbox up", "home-unwritable"): (FAILED, NO_IMAGE),
    ("sandbox down", "home-unwritable"): (OK, ""),  # nothing running, nothing to forget
    ("sandbox reset", "home-unwritable"): (FAILED, NO_IMAGE),
    ("sandbox shell", "home-unwritable"): (FAILED, NOT_RUNNING),
    ("sandbox destroy", "home-unwritable"): (OK, ""),
    ("sandbox build", "home-unwritable"): (FAILED, NOT_BUILT),
    ("lint", "tree"): (FAILED, "1 errors, "),  # the problem itself is on stdout, the tally on stderr
    **{(c, "tree"): (FAILED, BROKEN_TREE) for c, (_, tree, _, _) in COMMANDS.items() if tree and c != "lint"},
    ("lab show", "target"): (OK, ""),  # showing a task does not connect
    ("lab start", "target"): (CANNOT_RUN, CONSENT),
    ("lab check", "target"): (CANNOT_RUN, NOT_STARTED),
    ("lab hint", "target"): (CANNOT_RUN, NOT_STARTED),
    ("lab reset", "target"): (CANNOT_RUN, NOT_STARTED),
    ("lab solve", "target"): (CANNOT_RUN, NOT_STARTED),
    ("lab selftest", "target"): (CANNOT_RUN, CONSENT),
    ("doctor", "target"): (CANNOT_RUN, "127.0.0.1:1"),
}


def _cases() -> Iterator[tuple[str, str]]:
    for command, (_, tree, home, target) in COMMANDS.items():
        if home:
            yield command, "home-file"
            yield command, "home-unwritable"
        if tree:
            yield command, "tree"
        if target:
            yield command, "target"


def test_every_case_has_an_expectation() -> None:
    assert set(_cases()) == set(EXPECTED)


def _unprivileged() -> list[str]:
    """A prefix under which file permissions bite: as root, a new user namespace (root there has no
    CAP_DAC_OVERRIDE over the real root's files)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is needed to drop root's file permission override")
    return ["unshare", "--user"]


@pytest.mark.parametrize(("command", "given"), sorted(_cases()))
def test_one_line_and_the_documented_status(command: str, given: str, tmp_path: Path) -> None:
    args, tree_arg, _, _ = COMMANDS[command]
    argv, env, prefix = [*args], dict(os.environ), []
    home = tmp_path / "home"
    if given == "home-file":
        home.write_text("a file where the data folder should be\n")
        env["LPIC3_HOME"] = str(home)
    elif given == "home-unwritable":
        home.mkdir(mode=0o500)
        env["LPIC3_HOME"] = str(home)
        prefix = _unprivileged()
    elif given == "tree":
        Tree(tmp_path / "tree").write("content/351.5/questions.yaml", "- id: [x\n  type: single\n")
        argv += [str(tmp_path / "tree")] if tree_arg == "positional" else ["--path", str(tmp_path / "tree")]
    else:
        argv += ["--target", UNREACHABLE]
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "trainer", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # exam grade's sheet.yaml is looked for here (and never reached)
        env={**env, "PYTHONPATH": str(REPO)},
        stdin=subprocess.DEVNULL,
        timeout=180,
        check=False,
    )
    status, says = EXPECTED[command, given]
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == status, done.stderr
    if status == OK:
        assert lines == []
    else:
        assert len(lines) == 1, lines
        assert any(s.format(home=home) in lines[0] for s in says.split("|")), lines[0]


async def test_a_data_folder_with_brackets_is_shown_as_written(tmp_path: Path) -> None:
    """The notice about a broken progress file names its folder; ``[/x]`` in that name is text, not
    Rich markup (it used to be read as a closing tag: MarkupError, or a vanished ``[b]``)."""
    from textual.widgets._toast import Toast

    from trainer.curriculum.loader import load_curriculum
    from trainer.study.store import Store
    from trainer.tui.app import TrainerApp

    home = tmp_path / "data[/x][b]"
    home.mkdir(parents=True)
    (home / "progress.sqlite3").write_bytes(b"not a database, not at all, not in the least")
    store = Store.open(home / "progress.sqlite3")
    try:
        assert store.notice and str(home) in store.notice
        app = TrainerApp(load_curriculum(), store)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await pilot.pause()
            shown = " ".join(str(toast.render()) for toast in app.screen.query(Toast))
        assert f"the progress file {home / 'progress.sqlite3'} was broken" in shown, shown
    finally:
        store.close()
