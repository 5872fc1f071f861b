"""One sandbox image per test run, shared by the modules that boot it.

Building the image takes minutes (mmdebstrap, the exam's tools, a first boot under TCG), so it is
built once: the first module to ask builds it in a folder every xdist worker of the run can see,
holding a lock the others wait on. Each module then boots its own copy (its own QEMU, saved state,
SSH port and known_hosts), so two modules on two workers run two sandboxes side by side and a
module may rebuild or break its copy without touching the other's.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from checkers.session import ShellSession
from trainer.sandbox import vm
from trainer.sandbox.build import build
from trainer.sandbox.files import SandboxFiles
from trainer.sandbox.vm import down, sandbox_target

QUIET = lambda _: None  # noqa: E731
# What building and booting the sandbox needs on the host (the modules that do skip without it)
MISSING = [
    tool
    for tool in ("mmdebstrap", "mkfs.ext4", "qemu-img", "qemu-system-x86_64", "socat", "ssh", "unshare")
    if not shutil.which(tool)
]
WORK_TREE = "build"  # the build's own root file system, kept for an incremental rebuild


def _run_folder(factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that every xdist worker shares (each worker's base temp is below it)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def sandbox_copy(factory: pytest.TempPathFactory, home: Path, work_tree: bool = False) -> SandboxFiles:
    """The run's sandbox image (built now if no module has built it yet), copied into ``home``;
    with ``work_tree`` also the build's root file system, so the copy can be rebuilt in place."""
    run = _run_folder(factory)
    shared = SandboxFiles(run / "lpic3-shared-sandbox" / "sandbox")
    failed = shared.root.parent / "build-failed"
    with _locked(run / "lpic3-shared-sandbox.lock"):
        if failed.exists():
            pytest.fail(f"the run's sandbox image could not be built: {failed.read_text()}")
        if not shared.built:
            lines: list[str] = []
            shared.root.parent.mkdir(mode=0o700, exist_ok=True)
            try:
                build(shared, lines.append)
            finally:
                if not shared.built:
                    failed.write_text("\n".join(lines[-20:]))
            assert shared.built, lines
        mine = SandboxFiles(home / "sandbox")
        mine.root.mkdir(mode=0o700, parents=True)
        parts = [p for p in shared.root.iterdir() if work_tree or p.name != WORK_TREE]
        # --sparse: the qcow2's holes stay holes; --reflink: instant where the file system can share blocks
        subprocess.run(["cp", "-a", "--sparse=always", "--reflink=auto", *parts, mine.root], check=True)
    assert mine.built
    return mine


def remove_copy(files: SandboxFiles) -> None:
    """A module's copy, stopped and deleted when the module is done: 1.5 GiB or more each, and pytest
    keeps the folders of its last three runs."""
    down(files, QUIET)
    shutil.rmtree(files.root)


def vm_shell(files: SandboxFiles) -> ShellSession:
    """A shell in the VM whose command budgets grow as the sandbox's own waits do: with TCG and with
    the machine's load (a socket-activated dockerd takes seconds under TCG, more on a busy host)."""
    session = sandbox_target(files).session()
    session.time_scale = vm.budget(1.0, str(files.state().get("accel", "tcg")))
    return session


def lpic3(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``lpic3 ARGS`` as a command, with ``home`` as its LPIC3_HOME (so it finds the module's sandbox)."""
    env = os.environ | {"LPIC3_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "trainer", *args], capture_output=True, text=True, env=env, timeout=timeout
    )
