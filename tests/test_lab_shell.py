"""``lpic3 lab shell ID``: an interactive shell where the started lab runs, typed into as a learner
does (pexpect on a terminal): inside the netns attempt's namespaces, in the working folder on this
machine, and over SSH to an sshd the test starts."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pexpect
import pytest

from checkers.targets import parse_target
from tests.conftest import REPO, Tree, run_lpic3
from tests.lab_fixtures import remove_workdirs
from tests.test_netns_target import LAB, LAB_ID
from tests.test_targets import sshd

__all__ = ["remove_workdirs", "sshd"]  # the fixtures, used here

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab's setup sets a hostname: root only"),
    pytest.mark.usefixtures("remove_workdirs"),
]


def write_lab(tree: Tree, target: str) -> None:
    """The test lab; its setup sets the sandbox's hostname only on netns (never this machine's)."""
    text = LAB.replace("@SETUP@", "true")
    tree.write("exercises/352.1/kept.yaml", text if target == "netns" else text.replace("  hostname {{host}}\n", ""))


@contextmanager
def started(tree: Tree, target: str) -> Iterator[dict[str, str]]:
    """The lab started on ``target``: its values; reset afterwards."""
    write_lab(tree, target)
    where = ["--target", target, "--path", str(tree.root)]
    try:
        assert run_lpic3("lab", "start", LAB_ID, "--yes", *where).returncode == 0
        yield json.loads(run_lpic3("lab", "show", LAB_ID, "--json", *where).stdout)["params"]
    finally:
        run_lpic3("lab", "reset", LAB_ID, "--yes", *where)


def typed(tree: Tree, target: str, line: str, expected: str) -> str:
    """Open the lab shell on a terminal, type ``line``, wait for ``expected`` (a regex) and leave;
    what matched."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "trainer", "lab", "shell", LAB_ID, "--target", target, "--path", str(tree.root)],
        cwd=str(REPO),
        env={**os.environ, "TERM": "dumb"},
        encoding="utf-8",
        timeout=30,
    )
    try:
        child.expect("exit \\(or Ctrl-D\\) comes back")
        child.sendline(line)
        child.expect(expected)
        assert isinstance(child.match, re.Match)
        found = child.match.group(0)
        child.sendline("exit 0")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    return found


def test_the_netns_shell_is_inside_the_attempts_namespaces(tree: Tree) -> None:
    with started(tree, "netns") as values:
        found = typed(tree, "netns", 'echo "H=$(hostname) D=$(pwd)"', r"H=[\w.-]+ D=/[\w./-]+")
    assert found == f"H={values['host']} D={values['workdir']}"


def test_the_local_shell_starts_in_the_working_folder(tree: Tree) -> None:
    with started(tree, "local") as values:
        assert typed(tree, "local", 'echo "D=$(pwd)"', r"D=/[\w./-]+") == f"D={values['workdir']}"


def test_the_ssh_shell_has_a_terminal_and_starts_in_the_working_folder(tree: Tree, sshd: int) -> None:
    target = f"ssh://root@127.0.0.1:{sshd}"
    try:
        with started(tree, target) as values:
            found = typed(tree, target, 'echo "D=$(pwd) T=$(tty)"', r"D=/[\w./-]+ T=/[\w./-]+")
    finally:
        parse_target(target).disconnect()
    assert found.startswith(f"D={values['workdir']} T=/dev/pts/"), found


def test_a_lab_that_was_not_started_has_no_shell(tree: Tree) -> None:
    write_lab(tree, "netns")
    result = run_lpic3("lab", "shell", LAB_ID, "--target", "netns", "--path", str(tree.root))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"lpic3: lab {LAB_ID} was not started on a namespace sandbox on this machine: "
        f"lpic3 lab start {LAB_ID} --target netns\n"
    )


def test_a_reset_lab_has_no_shell_on_this_machine(tree: Tree) -> None:
    write_lab(tree, "local")
    where = ["--target", "local", "--path", str(tree.root)]
    assert run_lpic3("lab", "start", LAB_ID, "--yes", *where).returncode == 0
    workdir = Path(json.loads(run_lpic3("lab", "show", LAB_ID, "--json", *where).stdout)["params"]["workdir"])
    assert run_lpic3("lab", "reset", LAB_ID, "--yes", *where).returncode == 0
    result = run_lpic3("lab", "shell", LAB_ID, *where)
    assert result.returncode == 2
    assert result.stderr == (
        f"lpic3: the working folder {workdir} of lab {LAB_ID} is gone (a reset removes it): lpic3 lab start {LAB_ID}\n"
    )
