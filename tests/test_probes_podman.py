"""container.inspect on a real podman pod (``kind: pod``): its state, its members, its infra container's
published ports. The pod is named lpic3-test-* and removed afterwards; podman's own pause image, which
it builds at the first pod it makes, stays (it belongs to podman and every pod)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid

import pytest

from checkers.probes import run_probe
from checkers.session import ShellSession

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a rootful podman pod needs root")


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True, timeout=120).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_pod_as_podman_inspect_shows_it(local_shell: ShellSession) -> None:
    if not shutil.which("podman"):
        pytest.skip("needs podman")
    name, port = f"lpic3-test-{uuid.uuid4().hex[:6]}", free_port()
    pod = {"engine": "podman", "kind": "pod", "name": name}
    try:
        podman("pod", "create", "--name", name, "--infra-name", f"{name}-infra", "-p", f"127.0.0.1:{port}:8080")
        made = run_probe(local_shell, "container.inspect", pod | {"key": "State", "equals": "Running"})
        assert not made.passed and made.seen == "State = Created", made
        podman("pod", "start", name)
        assert run_probe(local_shell, "container.inspect", pod | {"key": "State", "equals": "Running"}).passed
        published = pod | {"key": "InfraConfig.PortBindings.8080/tcp.0.HostPort", "equals": str(port)}
        assert run_probe(local_shell, "container.inspect", published).passed
        assert not run_probe(local_shell, "container.inspect", published | {"equals": str(port + 1)}).passed
        member = {"Name": f"{name}-infra", "State": "running"}
        assert run_probe(local_shell, "container.inspect", pod | {"key": "Containers", "contains": member}).passed
        stranger = member | {"Name": f"{name}-web"}
        assert not run_probe(local_shell, "container.inspect", pod | {"key": "Containers", "contains": stranger}).passed
        # A pod is not a container, and a pod that is not there is reported as such.
        as_container = pod | {"kind": "container", "key": "State.Running", "equals": "true"}
        assert not run_probe(local_shell, "container.inspect", as_container).passed
        missing = run_probe(
            local_shell, "container.inspect", pod | {"name": f"{name}-none", "key": "State", "equals": "Running"}
        )
        assert not missing.passed and "no such pod" in missing.seen, missing
        podman("pod", "stop", "-t", "0", name)
        stopped = run_probe(local_shell, "container.inspect", pod | {"key": "State", "equals": "Running"})
        assert not stopped.passed and stopped.seen == "State = Exited", stopped
    finally:
        subprocess.run(["podman", "pod", "rm", "-f", "-t", "0", name], capture_output=True, check=False, timeout=120)
