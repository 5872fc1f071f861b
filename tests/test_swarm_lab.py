"""The Swarm lab (352.4-swarm-service) turns the host's Docker into a swarm manager when it is not one:
its reset must leave that swarm only when an lpic3 lab made it and no other attempt still uses it,
and never leave a swarm someone else made. Real dockerd, real setup and reset scripts."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.session import ShellSession, local_argv
from tests.daemons import ensure_dockerd
from trainer.curriculum.loader import load_curriculum
from trainer.labs.render import choose_params
from trainer.labs.runner import run_script

ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the lab runs Docker as root")
LAB = next(e for e in load_curriculum().exercises if e.id == "352.4-swarm-service")


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, check=True).stdout.strip()


def swarm_state() -> str:
    return docker("info", "-f", "{{.Swarm.LocalNodeState}}")


@pytest.fixture
def shell_without_swarm(tmp_path: Path) -> Iterator[ShellSession]:
    """A shell on this machine whose Docker is in no swarm; a swarm left over at the end is left."""
    stop = ensure_dockerd(tmp_path / "dockerd.log")
    try:
        assert swarm_state() == "inactive", "the test needs a Docker that is in no swarm"
        with ShellSession(local_argv(), "local") as shell:
            yield shell
    finally:
        if swarm_state() != "inactive":
            subprocess.run(["docker", "swarm", "leave", "--force"], capture_output=True, timeout=60, check=False)
        stop()


def attempt() -> dict[str, str]:
    return choose_params(LAB, random.Random(1))


@ROOT
def test_two_attempts_side_by_side_share_the_swarm_and_the_last_reset_leaves_it(
    shell_without_swarm: ShellSession,
) -> None:
    first, second = attempt(), attempt()
    run_script(shell_without_swarm, "setup", LAB.setup, first)
    assert swarm_state() == "active"
    run_script(shell_without_swarm, "setup", LAB.setup, second)
    run_script(shell_without_swarm, "reset", LAB.reset, first)
    assert swarm_state() == "active"  # the second attempt still uses it
    run_script(shell_without_swarm, "reset", LAB.reset, second)
    assert swarm_state() == "inactive"
    assert "docker_gwbridge" not in docker("network", "ls", "--format", "{{.Name}}").split()


@ROOT
def test_a_swarm_the_lab_did_not_make_is_left_alone(shell_without_swarm: ShellSession) -> None:
    docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    values = attempt()
    run_script(shell_without_swarm, "setup", LAB.setup, values)
    run_script(shell_without_swarm, "reset", LAB.reset, values)
    assert swarm_state() == "active"
    assert docker("node", "inspect", "-f", "{{json .Spec.Labels}}", "self") == "{}"  # no lpic3 label left on it
