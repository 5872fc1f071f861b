"""The netns target keeps a lab attempt's namespaces between commands: a hostname set by ``lab start``
is what ``lab check`` (a new process) sees; the holder is entered only while it is the very process
recorded (PID and start time); reset, a new start and a start that fails leave no holder behind."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.netns import Holder
from checkers.privdir import ROOT_RUNTIME
from tests.conftest import Tree, run_lpic3
from tests.lab_fixtures import remove_workdirs

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the netns target needs root"),
    pytest.mark.usefixtures("remove_workdirs"),
]
__all__ = ["remove_workdirs"]  # the fixture: a replaced attempt leaves its working folder

LAB_ID = "352.1-netns-kept"
LAB = """
id: 352.1-netns-kept
objective: "352.1"
title: A hostname the sandbox keeps
terms: [unshare]
difficulty: 1
requires: [root]
params:
  host: {choices: [lpic3-kept-a, lpic3-kept-b]}
task: Write the sandbox's hostname to {{workdir}}/name.
setup: |
  hostname {{host}}
  @SETUP@
checks:
  - id: hostname-kept
    probe: command.output
    args: {command: hostname, pattern: "^{{host}}$"}
    hint: The hostname setup gave the sandbox.
  - id: named
    probe: file.contains
    args: {path: "{{workdir}}/name", pattern: "^{{host}}$"}
    hint: Use hostname.
solution: hostname > {{workdir}}/name
reset: "true"
wrong_answers:
  - name: nothing done
    script: "true"
    fails: [named]
"""


@pytest.fixture
def lab(tree: Tree) -> Iterator[Tree]:
    """The test lab in ``tree``; whatever attempt a test leaves is reset afterwards."""
    tree.write("exercises/352.1/kept.yaml", LAB.replace("@SETUP@", "true"))
    yield tree
    lpic3(tree, "lab", "reset", LAB_ID)


def lpic3(tree: Tree, *args: str) -> subprocess.CompletedProcess[str]:
    return run_lpic3(*args, "--target", "netns", "--path", str(tree.root))


def attempt(tree: Tree) -> tuple[dict[str, str], Holder]:
    """The started attempt's values and the holder recorded for it."""
    values = json.loads(lpic3(tree, "lab", "show", LAB_ID, "--json").stdout)["params"]
    holder = Holder.load(Path(values["workdir"]).name)
    assert holder is not None
    return values, holder


def test_a_hostname_set_by_start_is_seen_by_a_check_in_another_process(lab: Tree) -> None:
    assert lpic3(lab, "lab", "start", LAB_ID).returncode == 0
    values, holder = attempt(lab)
    assert holder.alive() and holder.started == int(Path(f"/proc/{holder.pid}/stat").read_text().split()[21])
    checked = lpic3(lab, "lab", "check", LAB_ID, "--json")
    verdicts = {c["id"]: c for c in json.loads(checked.stdout)["checks"]}
    assert verdicts["hostname-kept"]["outcome"] == "pass", verdicts["hostname-kept"]
    assert verdicts["named"]["outcome"] == "fail" and checked.returncode == 1
    assert lpic3(lab, "lab", "solve", LAB_ID, "--apply").returncode == 0
    assert lpic3(lab, "lab", "check", LAB_ID).returncode == 0
    assert socket.gethostname() != values["host"]  # the host's own name never changed
    assert Path(values["workdir"]).is_dir()  # the working folder is on the host's disk, as on every target


def test_reset_removes_the_holder_and_a_later_check_says_so(lab: Tree) -> None:
    assert lpic3(lab, "lab", "start", LAB_ID).returncode == 0
    values, holder = attempt(lab)
    reset = lpic3(lab, "lab", "reset", LAB_ID)
    assert reset.returncode == 0, reset.stderr
    assert not Path(f"/proc/{holder.pid}").exists()
    assert not (ROOT_RUNTIME / "netns" / Path(values["workdir"]).name).exists()
    assert not Path(values["workdir"]).exists()
    checked = lpic3(lab, "lab", "check", LAB_ID)
    assert checked.returncode == 2 and checked.stdout == ""
    assert checked.stderr == (
        f"lpic3: the namespaces of lab {LAB_ID}'s attempt on netns are gone (reset, ended, or the machine "
        f"restarted): lpic3 lab start {LAB_ID} --target netns\n"
    )


def test_a_new_start_finishes_the_attempt_before_it(lab: Tree) -> None:
    assert lpic3(lab, "lab", "start", LAB_ID).returncode == 0
    _, first = attempt(lab)
    assert lpic3(lab, "lab", "start", LAB_ID).returncode == 0
    _, second = attempt(lab)
    assert second.pid != first.pid and second.alive()
    assert not Path(f"/proc/{first.pid}").exists()


def test_a_recorded_pid_that_is_now_another_process_is_never_entered_nor_killed(lab: Tree) -> None:
    assert lpic3(lab, "lab", "start", LAB_ID).returncode == 0
    values, holder = attempt(lab)
    holder.stop()  # the holder ends ... and its number goes to another process (here: planted)
    other = subprocess.Popen(["sleep", "60"])
    try:
        Holder(other.pid, holder.started).save(Path(values["workdir"]).name)
        checked = lpic3(lab, "lab", "check", LAB_ID)
        assert checked.returncode == 2 and "are gone" in checked.stderr
        assert lpic3(lab, "lab", "reset", LAB_ID).returncode == 0  # in fresh namespaces: the files go
        assert other.poll() is None and not Path(values["workdir"]).exists()
    finally:
        other.kill()
        other.wait()


def test_a_start_that_fails_leaves_no_holder(tree: Tree, tmp_path: Path) -> None:
    seen = tmp_path / "uts"
    setup = f"readlink /proc/self/ns/uts > {seen}; echo {{{{workdir}}}} >> {seen}; false"
    tree.write("exercises/352.1/kept.yaml", LAB.replace("@SETUP@", setup))
    started = lpic3(tree, "lab", "start", LAB_ID)
    assert started.returncode == 2 and "setup exited 1" in started.stderr
    namespace, workdir = seen.read_text().split()
    shutil.rmtree(workdir)  # what the failed setup made there (no attempt was recorded)
    assert namespace != os.readlink("/proc/self/ns/uts")
    inside = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "ns" / "uts") == namespace:
                inside.append(proc.name)
        except OSError:
            continue
    assert inside == []
