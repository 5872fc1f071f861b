"""The sandbox VM for real: build the image with debootstrap, boot it under TCG (KVM only where
proved), check labs inside it (cgroup v2 and systemd, which only the VM offers on a CI machine),
reset it to a clean machine, shut it down. Everything lives in this test's own LPIC3_HOME."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.detect import detect
from trainer.curriculum.loader import load_curriculum
from trainer.labs.render import choose_params
from trainer.labs.selftest import selftest
from trainer.sandbox.build import BuildError, build
from trainer.sandbox.files import SandboxFiles
from trainer.sandbox.vm import SandboxError, down, reset, running_pid, sandbox_target, status, up

MISSING = [
    tool
    for tool in ("debootstrap", "mkfs.ext4", "qemu-img", "qemu-system-x86_64", "socat", "ssh")
    if not shutil.which(tool)
]
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="building the sandbox image needs root (debootstrap)"),
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]
LABS_IN_THE_VM = [
    "352.1-cgroup-memory-pids",
    "352.1-cgroup-cpu-quota",
    "352.1-uts-pid-namespace",
    "351.5-qcow2-overlay",
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxFiles]:
    files = SandboxFiles(tmp_path_factory.mktemp("lpic3-sandbox"))
    lines: list[str] = []
    build(files, lines.append)
    assert files.built, lines
    yield files
    down(files, lambda _: None)


def test_build_is_complete_and_resumable(sandbox: SandboxFiles) -> None:
    assert sandbox.image.stat().st_size > 100 * 1024**2
    assert sandbox.kernel.exists() and sandbox.initrd.exists() and sandbox.known_hosts.read_text().strip()
    lines: list[str] = []
    build(sandbox, lines.append)  # again: debootstrap is not repeated
    assert "debootstrap: already done (resuming)" in lines


def test_up_makes_a_ready_machine_with_systemd_and_cgroup_v2(sandbox: SandboxFiles) -> None:
    seconds = up(sandbox, lambda _: None)
    assert 0 < seconds < 180
    info = status(sandbox)
    assert info["running"] and info["accel"] in ("tcg", "kvm") and info["ssh_port"]
    with sandbox_target(sandbox).session() as shell:
        features = detect(shell, ["root", "systemd", "cgroup-v2", "cgroups"])
        assert all(f.available for f in features.values()), features
        assert shell.run("hostname").output.strip() == "lpic3-sandbox"


def test_labs_pass_their_self_test_inside_the_vm(sandbox: SandboxFiles) -> None:
    up(sandbox, lambda _: None)
    exercises = {e.id: e for e in load_curriculum().exercises}
    with sandbox_target(sandbox).session() as shell:
        for lab in LABS_IN_THE_VM:
            values = choose_params(exercises[lab], random.Random(3))
            report = selftest(exercises[lab], shell, values)
            assert report.ok, (lab, report.failures)


def test_reset_gives_a_clean_machine(sandbox: SandboxFiles) -> None:
    up(sandbox, lambda _: None)
    with sandbox_target(sandbox).session() as shell:
        assert shell.run("touch /root/lpic3-dirty && ls /root").output.split() == ["lpic3-dirty"]
    reset(sandbox, lambda _: None)
    with sandbox_target(sandbox).session() as shell:
        assert shell.run("ls -A /root | grep -c lpic3-dirty").output.strip() == "0"


def test_down_stops_qemu(sandbox: SandboxFiles) -> None:
    up(sandbox, lambda _: None)
    pid = running_pid(sandbox)
    down(sandbox, lambda _: None)
    stat = Path(f"/proc/{pid}/stat")
    # Gone, or a zombie where PID 1 does not reap orphans (as on the CI machine): not running either way.
    assert running_pid(sandbox) is None and (not stat.exists() or stat.read_text().split()[2] == "Z")
    assert not status(sandbox)["running"]


def test_faults_say_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = SandboxFiles(tmp_path / "none")
    with pytest.raises(SandboxError, match="no sandbox image yet"):
        up(empty, lambda _: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(BuildError, match="needs root"):
        build(empty, lambda _: None)
