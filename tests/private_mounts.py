"""A real lab checked by the real ``lpic3`` while the machine is made hostile only for that run.

The tests of tests/test_real_tools.py and tests/test_clean_env.py plant fakes where a learner could:
wrappers in /usr/local/bin, a tool that is not root's alone, rc files, /etc/ld.so.preload. Each run
happens in a private mount namespace (``unshare --mount``), where files are changed through an
overlay on a tmpfs that disappears with the run: the machine, and the other tests running beside,
never see any of it. The lab is 352.1-file-capability on the local target: quick, root only, and
its checks run ``getcap`` (caps.file) and ``unshare`` (command.status) by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import REPO

LAB = "352.1-file-capability"
ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the lab and private mount namespaces need root")
# What each check of the lab says when nothing was done after setup: the copy is missing.
UNSOLVED = {"copy-caps": "fail", "original-clean": "pass", "no-setuid": "fail", "binds-low-port": "fail"}
# Fakes that would make every check of the unsolved lab pass: getcap shows the capability on the
# copy (and none on the original), unshare "keeps listening" (timeout's 124).
FAKE_GETCAP = 'case "$*" in *httpd*) echo "$1 cap_net_bind_service=ep";; esac'
FAKE_UNSHARE = "exit 124"


def write_fakes(folder: Path) -> Path:
    """Wrappers named getcap and unshare in ``folder``, root's and executable."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in (("getcap", FAKE_GETCAP), ("unshare", FAKE_UNSHARE)):
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return folder


def overlay(folder: str, scratch: Path) -> str:
    """Shell text: ``folder`` made writable for this run only (changes go to a tmpfs on ``scratch``)."""
    name = folder.strip("/").replace("/", "-") or "root"
    upper, work = scratch / f"{name}-upper", scratch / f"{name}-work"
    return (
        f"mkdir -p {upper} {work}\n"
        f"mount -t overlay lpic3-test -o lowerdir={folder},upperdir={upper},workdir={work} {folder}\n"
    )


def lpic3_in_private_mounts(
    prelude: str, *args: str, scratch: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``lpic3 ARGS`` run after ``prelude`` (shell text, ``set -eu``) in a private mount namespace with
    a tmpfs mounted on ``scratch`` (see ``overlay``)."""
    scratch.mkdir(parents=True, exist_ok=True)
    script = f'mount -t tmpfs lpic3-test {scratch}\n{prelude}\nexec "$@"'
    unshare = ["unshare", "--mount", "--propagation", "private", "/bin/bash", "-euc", script, "lpic3"]
    return subprocess.run(
        [*unshare, sys.executable, "-m", "trainer", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def python_in_private_mounts(script: str) -> subprocess.CompletedProcess[str]:
    """Python ``script`` run from the repository in a private mount namespace (its mounts die with it)."""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def check_lab(
    home: Path, prelude: str = "", scratch: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[dict[str, tuple[str, str]], subprocess.CompletedProcess[str]]:
    """``lpic3 lab check LAB --json`` (in private mounts when ``scratch`` is given): each check's
    outcome and what it saw, and the finished run."""
    args = ("lab", "check", LAB, "--target", "local", "--json")
    env = {**(env or {}), "LPIC3_HOME": str(home)}
    if scratch is None:
        run = subprocess.run(
            [sys.executable, "-m", "trainer", *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, **env},
            timeout=120,
            check=False,
        )
    else:
        run = lpic3_in_private_mounts(prelude, *args, scratch=scratch, env=env)
    assert run.stdout.startswith("{"), run.stdout + run.stderr
    checks = json.loads(run.stdout)["checks"]
    return {c["id"]: (c["outcome"], c["seen"]) for c in checks}, run


@pytest.fixture(scope="module")
def started_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The lab started on this machine with a data folder of its own (yielded); reset afterwards."""
    home = tmp_path_factory.mktemp("lpic3-home")
    env = {**os.environ, "LPIC3_HOME": str(home)}
    base = [sys.executable, "-m", "trainer", "lab"]
    started = subprocess.run(
        [*base, "start", LAB, "--target", "local", "--yes"], capture_output=True, text=True, cwd=REPO, env=env
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield home
    finally:
        subprocess.run([*base, "reset", LAB, "--target", "local", "--yes"], capture_output=True, cwd=REPO, env=env)


@pytest.fixture(scope="module")
def baseline(started_lab: Path) -> dict[str, tuple[str, str]]:
    """The verdicts with nothing planted: the unsolved lab, judged for real."""
    verdicts, _ = check_lab(started_lab)
    assert {k: outcome for k, (outcome, _) in verdicts.items()} == UNSOLVED
    return verdicts
