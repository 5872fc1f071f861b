"""The Swarm lab (352.4-swarm-service) turns the host's Docker into a swarm manager when it is not one.
Its reset must leave that swarm only when an lpic3 lab made it, no other attempt still uses it and no
container runs (Docker 20.10's `swarm leave --force` cuts running containers off their networks), and
never leave a swarm someone else made. Real dockerd, real setup and reset scripts."""

from __future__ import annotations

import os
import random
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.session import ShellSession, local_argv
from tests.daemons import docker_turn, ensure_dockerd
from trainer.curriculum.loader import load_curriculum
from trainer.labs.render import choose_params
from trainer.labs.runner import run_script

# The swarm lab's own self-test makes and leaves a swarm: never at the same time on another worker.
pytestmark = pytest.mark.xdist_group("lab-352.4-swarm-service")

ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the lab runs Docker as root")
LAB = next(e for e in load_curriculum().exercises if e.id == "352.4-swarm-service")


def docker(*args: str, check: bool = True) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, check=check).stdout.strip()


def swarm_state() -> str:
    return docker("info", "-f", "{{.Swarm.LocalNodeState}}")


def leave_when_safe() -> None:
    """Leave a swarm only when no container runs (leaving cuts them off their networks)."""
    if swarm_state() != "inactive" and not docker("ps", "-q"):
        docker("swarm", "leave", "--force", check=False)
        docker("network", "rm", "docker_gwbridge", check=False)


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[ShellSession]:
    stop = ensure_dockerd(tmp_path / "dockerd.log")
    try:
        with docker_turn(), ShellSession(local_argv(), "local") as session:
            yield session
    finally:
        stop()


@pytest.fixture
def bystander() -> Iterator[str]:
    """A container of the test's own, running on Docker's default bridge while the lab comes and goes."""
    name = f"lpic3-swarm-bystander-{secrets.token_hex(4)}"
    tar = subprocess.run(
        ["tar", "-C", "/bin", "-c", "busybox"], capture_output=True, check=True, timeout=60
    ).stdout  # one static binary is a whole image
    subprocess.run(
        ["docker", "import", "-c", f"LABEL lpic3.attempt={name}", "-", name], input=tar, capture_output=True, check=True
    )
    docker("run", "-d", "--name", name, name, "/busybox", "sleep", "600")
    try:
        yield name
    finally:
        docker("rm", "-f", name, check=False)
        docker("rmi", name, check=False)


@ROOT
def test_a_swarm_the_lab_did_not_make_is_left_alone(shell: ShellSession) -> None:
    if swarm_state() != "inactive":
        pytest.fail("the test needs a Docker in no swarm, to make one of its own")
    docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    try:
        values = choose_params(LAB, random.Random(1))
        run_script(shell, "setup", LAB.setup, values)
        run_script(shell, "reset", LAB.reset, values)
        assert swarm_state() == "active"
        assert docker("node", "inspect", "-f", "{{json .Spec.Labels}}", "self") == "{}"  # no lpic3 label left
    finally:
        leave_when_safe()


@ROOT
def test_two_attempts_share_the_swarm_and_a_running_container_keeps_its_network(
    shell: ShellSession, bystander: str
) -> None:
    first, second = choose_params(LAB, random.Random(1)), choose_params(LAB, random.Random(2))
    run_script(shell, "setup", LAB.setup, first)
    assert swarm_state() == "active"
    run_script(shell, "setup", LAB.setup, second)
    run_script(shell, "reset", LAB.reset, first)
    assert swarm_state() == "active"  # the second attempt still uses it
    run_script(shell, "reset", LAB.reset, second)
    # The bystander runs, so the swarm stays, and the bystander is still on its network.
    assert swarm_state() == "active"
    assert docker("inspect", "-f", "{{range $n, $v := .NetworkSettings.Networks}}{{$n}} {{end}}", bystander) == "bridge"
    # Once nothing runs, the next reset of the lab leaves the swarm the lab made.
    docker("rm", "-f", bystander)
    third = choose_params(LAB, random.Random(3))
    run_script(shell, "setup", LAB.setup, third)
    run_script(shell, "reset", LAB.reset, third)
    assert swarm_state() == "inactive" or docker("ps", "-q"), "left running with nothing else running"
    assert swarm_state() == "active" or "docker_gwbridge" not in docker("network", "ls", "--format", "{{.Name}}")
