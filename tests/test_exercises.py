"""Exercises: the format's validation, and the lab contract proved for every bundled lab on real state."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from checkers.detect import Feature, detect
from checkers.session import ShellSession, local_argv
from tests.conftest import Tree
from tests.daemons import docker_turn, ensure_dockerd, ensure_libvirtd, ensure_lxc_net, ensure_lxd
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Exercise
from trainer.curriculum.problems import Severity
from trainer.labs.render import choose_params, render
from trainer.labs.selftest import selftest

LAB = """
id: 351.5-touch
objective: "351.5"
title: Make a file
terms: [qemu-img]
difficulty: 1
requires: [root]
params:
  name: {choices: [alpha, beta]}
task: Create {{name}} in the lab folder.
setup: mkdir -p @DIR@
checks:
  - id: made
    probe: file.exists
    args: {path: "@DIR@/{{name}}"}
    hint: Use touch.
solution: touch @DIR@/{{name}}
reset: rm -rf @DIR@ @DIR@.*
wrong_answers:
  - name: wrong folder
    script: touch @DIR@.{{name}}
    fails: [made]
"""


def lab(directory: str = "/tmp/lpic3-test-lab") -> str:
    return LAB.replace("@DIR@", directory)


def errors(tree: Tree) -> list[str]:
    return [p.format(tree.root) for p in load_curriculum(tree.root).problems if p.severity is Severity.ERROR]


def test_a_valid_exercise_loads(tree: Tree) -> None:
    tree.write("exercises/351.5/touch.yaml", lab())
    assert errors(tree) == []
    (exercise,) = load_curriculum(tree.root).exercises
    assert exercise.checks[0].probe == "file.exists" and exercise.params[0].choices == ("alpha", "beta")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("probe: file.exists", "probe: file.there"),
            "exercises/351.5/touch.yaml:13: error: exercise 351.5-touch check made: no probe named 'file.there'",
        ),
        (("fails: [made]", "fails: [mad]"), "names check 'mad', which this exercise does not have"),
        (
            ("task: Create {{name}}", "task: Create {{nome}}"),
            "exercises/351.5/touch.yaml:9: error: exercise 351.5-touch: placeholder {{nome}} is not a parameter",
        ),
        (("requires: [root]", "requires: [rooot]"), "unknown feature 'rooot'"),
        (("args: {path:", 'args: {mode: "640", path:'), "probe file.exists takes no argument 'mode'"),
    ],
)
def test_exercise_errors(tree: Tree, change: tuple[str, str], message: str) -> None:
    tree.write("exercises/351.5/touch.yaml", lab().replace(*change))
    found = errors(tree)
    assert any(message in e for e in found), found


def test_docker_templates_are_not_placeholders(tree: Tree) -> None:
    text = lab().replace("solution: touch", "solution: docker inspect -f '{{.State.Running}}' x; touch")
    tree.write("exercises/351.5/touch.yaml", text)
    assert errors(tree) == []


def test_params_render_everywhere() -> None:
    values = {"name": "beta"}
    assert render("touch /x/{{name}} {{ name }} {{.State}}", values) == "touch /x/beta beta {{.State}}"


def test_selftest_passes_a_sound_lab(tree: Tree, local_shell: ShellSession) -> None:
    tree.write("exercises/351.5/touch.yaml", lab())
    exercise = load_curriculum(tree.root).exercises[0]
    report = selftest(exercise, local_shell, {"name": "alpha"})
    assert report.ok, report.failures


def test_selftest_catches_a_check_that_cannot_fail(tree: Tree, local_shell: ShellSession) -> None:
    tree.write("exercises/351.5/touch.yaml", lab().replace('path: "/tmp/lpic3-test-lab/{{name}}"', 'path: "/tmp"'))
    report = selftest(load_curriculum(tree.root).exercises[0], local_shell, {"name": "alpha"})
    assert "after setup, before any work, every check passed" in report.failures
    assert any("wrong answer 'wrong folder' passed check(s) made" in f for f in report.failures)


def test_selftest_catches_a_wrong_solution(tree: Tree, local_shell: ShellSession) -> None:
    tree.write(
        "exercises/351.5/touch.yaml",
        lab().replace("solution: touch /tmp/lpic3-test-lab/", "solution: touch /tmp/lpic3-test-lab."),
    )
    report = selftest(load_curriculum(tree.root).exercises[0], local_shell, {"name": "beta"})
    assert report.failures == ["the reference solution failed check(s) made (saw: /tmp/lpic3-test-lab/beta absent)"]


ALTERNATIVES = """alternatives:
  - name: with cp from /dev/null
    script: cp /dev/null @DIR@/{{name}}
  - name: with a redirection
    script: ": > @DIR@/{{name}}"
"""


def test_selftest_proves_every_alternative_solution(tree: Tree, local_shell: ShellSession) -> None:
    """Another correct way passes; one that is not correct after all is reported by name."""
    tree.write("exercises/351.5/touch.yaml", lab() + ALTERNATIVES.replace("@DIR@", "/tmp/lpic3-test-lab"))
    exercise = load_curriculum(tree.root).exercises[0]
    assert [a.name for a in exercise.alternatives] == ["with cp from /dev/null", "with a redirection"]
    report = selftest(exercise, local_shell, {"name": "alpha"})
    assert report.ok and "alternative 'with a redirection': check passes" in report.steps, report.failures
    broken = ALTERNATIVES.replace('@DIR@/{{name}}"', '@DIR@.{{name}}"').replace("@DIR@", "/tmp/lpic3-test-lab")
    tree.write("exercises/351.5/touch.yaml", lab() + broken)
    report = selftest(load_curriculum(tree.root).exercises[0], local_shell, {"name": "alpha"})
    assert report.failures == [
        "alternative 'with a redirection' (a correct solution) failed check(s) made"
        " (saw: /tmp/lpic3-test-lab/alpha absent)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alternatives: []\n", "list at least one other correct solution, or leave the key out"),
        ("alternatives:\n  - name: no script\n", "alternative 'no script'"),
        ("alternatives:\n  - just text\n", "alternative 1 must be a mapping"),
    ],
)
def test_alternatives_errors(tree: Tree, text: str, message: str) -> None:
    tree.write("exercises/351.5/touch.yaml", lab() + text)
    found = errors(tree)
    assert any(message in e for e in found), found


BUNDLED = load_curriculum().exercises
# Labs on a running Xen hypervisor: no CI machine is a Xen dom0, so their self-test runs in the
# sandbox VM booted in Xen mode (tests/test_sandbox.py), not on this machine.
ON_XEN = [e.id for e in BUNDLED if "xen" in e.requires]


@pytest.fixture(scope="session")
def lab_daemons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """libvirtd, dockerd, lxc-net and LXD for the labs that need them, when installed; stopped by PID."""
    needed = {feature for exercise in BUNDLED for feature in exercise.requires}
    stops = []
    if os.geteuid() == 0:
        if "libvirt" in needed:
            stops.append(ensure_libvirtd())
        if "docker" in needed:
            stops.append(ensure_dockerd(tmp_path_factory.mktemp("dockerd") / "dockerd.log"))
        if "lxc" in needed:
            stops.append(ensure_lxc_net())
        if "lxd" in needed:
            stops.append(ensure_lxd(tmp_path_factory.mktemp("lxd") / "lxd.log"))
    yield
    for stop in reversed(stops):
        stop()


@pytest.fixture(scope="session")
def features(lab_daemons: None) -> dict[str, Feature]:
    with ShellSession(local_argv(), "local") as session:
        return detect(session)


def lab_seeds() -> list[int]:
    """The parameter draws each lab's self-test runs with: ``LPIC3_LAB_SEEDS`` (e.g. ``1,2``), or one
    fresh seed per run. A lab self-test takes up to a minute or two on a loaded machine, and 60 labs
    with two draws each would take CI past its time; a new draw in every run still meets every value
    of every parameter over a few runs, and a failure names its seed to run it again."""
    text = os.environ.get("LPIC3_LAB_SEEDS", "").strip()
    return [int(seed) for seed in text.split(",")] if text else [random.SystemRandom().randrange(10**6)]


@pytest.mark.parametrize(
    "exercise",
    [pytest.param(e, id=e.id, marks=pytest.mark.xdist_group(f"lab-{e.id}")) for e in BUNDLED if e.id not in ON_XEN],
)
def test_bundled_lab_contract_on_this_machine(exercise: Exercise, features: dict[str, Feature]) -> None:
    """The self-test of every bundled lab, on this machine: its wrong answers fail, its alternative
    solutions and its solution pass, its reset undoes them, with the parameters of ``lab_seeds``."""
    missing = [f"{name} ({features[name].reason})" for name in exercise.requires if not features[name].available]
    if missing:
        pytest.skip(f"{exercise.id} cannot run here: needs {', '.join(missing)}")
    docker = docker_turn("vagrant" in exercise.requires) if "docker" in exercise.requires else nullcontext()
    with docker, ShellSession(local_argv(), "local") as session:
        for seed in lab_seeds():
            values = choose_params(exercise, random.Random(seed))
            report = selftest(exercise, session, values)
            again = f"again: lpic3 lab selftest {exercise.id} --target local --yes --seed {seed}"
            assert report.ok, (again, values, report.failures)


def test_a_lab_that_needs_nothing_can_start(tree: Tree, local_shell: ShellSession) -> None:
    from trainer.labs.runner import missing_requirements

    tree.write("exercises/351.5/touch.yaml", lab().replace("requires: [root]", "requires: []"))
    assert missing_requirements(load_curriculum(tree.root).exercises[0], local_shell) == []
