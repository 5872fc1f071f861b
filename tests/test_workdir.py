"""Each lab attempt works in its own private folder, ``{{workdir}}``: drawn per attempt (whatever the
seed), made 0700 and new by the runner before setup, removed after reset. Two attempts of the same
lab on one host (two learners, or a test run beside a learner) therefore never meet: proved by
running one lab's self-test twice at the same time, with the same seed."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import pytest

from checkers.privdir import LAB_ROOT
from checkers.session import ShellSession
from tests.conftest import REPO, Tree
from tests.daemons import docker_turn, ensure_dockerd, ensure_libvirtd
from trainer.curriculum.loader import load_curriculum
from trainer.labs.render import choose_params
from trainer.labs.runner import ScriptFailed, run_script

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="lab attempts of root live in /var/lib/lpic3/labs")

LAB = """
id: 351.5-in-workdir
objective: "351.5"
title: Make a file
terms: [qemu-img]
difficulty: 1
requires: [root]
params:
  name: {choices: [alpha, beta]}
task: Create {{name}} in {{workdir}}.
setup: touch {{workdir}}/given
checks:
  - id: made
    probe: file.exists
    args: {path: "{{workdir}}/{{name}}"}
    hint: Use touch.
solution: touch {{workdir}}/{{name}}
reset: "# only files in {{workdir}}"
wrong_answers:
  - name: wrong name
    script: touch {{workdir}}/other
    fails: [made]
"""


def test_setup_makes_the_attempts_own_private_folder_and_reset_removes_it(
    tree: Tree, local_shell: ShellSession
) -> None:
    tree.write("exercises/351.5/in-workdir.yaml", LAB)
    exercise = load_curriculum(tree.root).exercises[0]
    first, second = (choose_params(exercise, random.Random(1)) for _ in range(2))
    assert first["name"] == second["name"] and first["workdir"] != second["workdir"]  # a seed fixes the values only
    workdir = Path(first["workdir"])
    assert workdir.parent == Path(LAB_ROOT) and workdir.name.startswith("351.5-in-workdir-")
    run_script(local_shell, "setup", exercise.setup, first)
    info = workdir.lstat()
    assert workdir.is_dir() and info.st_mode & 0o777 == 0o700 and info.st_uid == 0
    assert (workdir / "given").exists()
    for folder in (workdir.parent, workdir.parent.parent):  # /var/lib/lpic3/labs and /var/lib/lpic3
        assert folder.lstat().st_mode & 0o777 == 0o700 and folder.lstat().st_uid == 0
    run_script(local_shell, "reset", exercise.reset, first)
    assert not workdir.exists()


def test_setup_refuses_a_folder_already_at_the_attempts_path(
    tree: Tree, local_shell: ShellSession, tmp_path: Path
) -> None:
    """The folder must be new: something already there (another attempt's, or a link) is not used."""
    tree.write("exercises/351.5/in-workdir.yaml", LAB)
    exercise = load_curriculum(tree.root).exercises[0]
    values = choose_params(exercise, random.Random(1))
    victim = tmp_path / "victim"
    victim.mkdir()
    Path(LAB_ROOT).mkdir(mode=0o700, parents=True, exist_ok=True)
    Path(values["workdir"]).symlink_to(victim)
    try:
        with pytest.raises(ScriptFailed, match=r"setup exited 1: mkdir: cannot create directory .*: File exists"):
            run_script(local_shell, "setup", exercise.setup, values)
        assert list(victim.iterdir()) == []
    finally:
        Path(values["workdir"]).unlink()


@pytest.mark.parametrize("given", ["workdir", "attempt"])
def test_a_parameter_may_not_take_a_given_name(tree: Tree, given: str) -> None:
    tree.write(
        "exercises/351.5/in-workdir.yaml",
        LAB.replace("  name: {choices", f"  {given}: {{choices: [x]}}\n  name: {{choices"),
    )
    problems = [p.message for p in load_curriculum(tree.root).problems]
    assert any(f"parameter name '{given}' is taken: every lab has {{{{{given}}}}}" in p for p in problems), problems


def test_each_attempt_has_its_own_token_the_end_of_its_folder_name(tree: Tree) -> None:
    """``{{attempt}}`` names a lab's objects outside its folder: per attempt, even with the same seed."""
    tree.write(
        "exercises/351.5/in-workdir.yaml", LAB.replace("touch {{workdir}}/given", "touch {{workdir}}/{{attempt}}")
    )
    (exercise,) = load_curriculum(tree.root).exercises
    first, second = (choose_params(exercise, random.Random(7)) for _ in range(2))
    assert first["name"] == second["name"] and first["attempt"] != second["attempt"]
    for values in (first, second):
        assert len(values["attempt"]) == 8 and values["workdir"].endswith("-" + values["attempt"])


@pytest.mark.parametrize(
    "lab",
    [
        "351.5-qcow2-overlay",
        "352.1-uts-pid-namespace",
        "351.4-define-start-domain",  # a libvirt domain
        "352.3-dockerfile-build",  # docker images, built on a base image setup makes
        "352.1-cgroup-cpu-quota",  # a cgroup
    ],
)
def test_the_same_lab_twice_at_once_on_one_host(lab: str, tmp_path: Path) -> None:
    """Two self-tests of one lab at the same time, with the same seed (so the same values): with a
    shared folder one's reset removed the other's files and killed the other's process; with the
    same domain, image or cgroup name one's reset removed the other's (``{{attempt}}`` names them)."""
    command = [sys.executable, "-m", "trainer", "lab", "selftest", lab, "--target", "local", "--yes", "--json"]
    daemon = {"351.4": ensure_libvirtd, "352.3": lambda: ensure_dockerd(tmp_path / "dockerd.log")}.get(lab[:5])
    stop = daemon() if daemon else None
    try:
        with docker_turn() if lab.startswith("352.3") else nullcontext():
            _twice_at_once(command)
    finally:
        if stop:
            stop()


def _twice_at_once(command: list[str]) -> None:
    runs = [
        subprocess.Popen([*command, "--seed", "7"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    reports = [json.loads(out)["reports"][0] for out, _ in outputs]
    assert [r["ok"] for r in reports] == [True, True], [r["failures"] for r in reports]
    first, second = (r["params"] for r in reports)
    own = ("workdir", "attempt")
    assert {k: v for k, v in first.items() if k not in own} == {k: v for k, v in second.items() if k not in own}
    assert first["workdir"] != second["workdir"] and first["attempt"] != second["attempt"]
    assert not Path(first["workdir"]).exists() and not Path(second["workdir"]).exists()
