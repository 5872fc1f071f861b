"""qemu.monitor on a real QEMU: a guest of this test's own (TCG, CPUs held with -S so it costs no CPU),
its human monitor on a UNIX socket in the test's folder; asked as a lab's checks ask it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from checkers.probes import FAIL, PASS, Verdict, argument_problems, run_probe
from checkers.session import ShellSession


@contextmanager
def guest(folder: Path, kind: str = "monitor") -> Iterator[Path]:
    """A guest with its ``kind`` (monitor: the human one; qmp: the JSON one) on folder/monitor.sock."""
    folder.mkdir(exist_ok=True)
    sock, pidfile = folder / "monitor.sock", folder / "qemu.pid"
    subprocess.run(
        [
            "qemu-system-x86_64", "-accel", "tcg", "-S", "-name", "lpic3-test-monitor", "-m", "96", "-smp", "3",
            "-display", "none", f"-{kind}", f"unix:{sock},server=on,wait=off",
            "-daemonize", "-pidfile", str(pidfile),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    pid = int(pidfile.read_text())
    try:
        yield sock
    finally:
        os.kill(pid, signal.SIGKILL)  # daemonized: init reaps it
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def monitor(tmp_path: Path) -> Iterator[Path]:
    with guest(tmp_path / "hmp") as sock:
        yield sock


def ask(shell: ShellSession, sock: Path, question: str, **args: object) -> Verdict:
    return run_probe(shell, "qemu.monitor", {"socket": str(sock), "question": question, **args})


def test_the_monitor_answers_as_a_learner_reads_it(local_shell: ShellSession, monitor: Path) -> None:
    status = ask(local_shell, monitor, "info status", key="VM status", matches="running")
    assert (status.outcome, status.seen) == (FAIL, "info status: VM status = paused (prelaunch)")
    assert status.expected == f"monitor {monitor}, info status: VM status matching /running/"
    assert ask(local_shell, monitor, "info status", key="VM status", matches="paused.*").outcome == PASS
    assert ask(local_shell, monitor, "info name", equals="lpic3-test-monitor").outcome == PASS
    cpus = ask(local_shell, monitor, "info cpus", count=r"CPU #\d+:", equals="3")
    assert (cpus.outcome, cpus.seen) == (PASS, r"info cpus: lines matching /CPU #\d+:/ = 3")
    memory = ask(local_shell, monitor, "info memory_size_summary", key="base memory", equals=str(96 * 2**20))
    assert memory.outcome == PASS, memory
    mib = ask(local_shell, monitor, "info memory_size_summary", key="base memory", unit="MiB", equals="128")
    assert (mib.outcome, mib.seen) == (FAIL, "info memory_size_summary: base memory in MiB = 96")
    assert ask(local_shell, monitor, "info kvm", key="kvm support", equals="disabled").outcome == PASS
    missing = ask(local_shell, monitor, "info kvm", key="no such line", absent=True)
    assert (missing.outcome, missing.seen) == (PASS, "info kvm: no such line = absent")


def test_a_socket_that_is_not_the_guests_own_is_refused(
    local_shell: ShellSession, monitor: Path, tmp_path: Path
) -> None:
    (tmp_path / "link.sock").symlink_to(monitor)
    linked = ask(local_shell, tmp_path / "link.sock", "info name", equals="lpic3-test-monitor")
    assert (linked.outcome, linked.seen) == (FAIL, f"{tmp_path}/link.sock is not a socket")
    os.link(monitor, tmp_path / "second.sock")
    second = ask(local_shell, monitor, "info name", equals="lpic3-test-monitor")
    assert second.outcome == FAIL and "second name of another socket" in second.seen
    plain = tmp_path / "plain"
    plain.write_text("VM status: running\n")
    assert ask(local_shell, plain, "info status", key="VM status", equals="running").seen == f"{plain} is not a socket"
    gone = ask(local_shell, tmp_path / "nothing.sock", "info status", key="VM status", equals="running")
    assert gone.outcome == FAIL and "No such file or directory" in gone.seen


def test_a_qmp_socket_is_not_the_human_monitor(local_shell: ShellSession, tmp_path: Path) -> None:
    with guest(tmp_path / "qmp", "qmp") as sock:
        verdict = ask(local_shell, sock, "info status", key="VM status", matches=".*")
    assert verdict.outcome == FAIL and verdict.seen.startswith(f"{sock} speaks QMP (JSON), not the human monitor")


def test_qmp_is_asked_a_query_and_its_return_value_judged(local_shell: ShellSession, tmp_path: Path) -> None:
    with guest(tmp_path / "qmp", "qmp") as sock:
        status = ask(local_shell, sock, "query-status", key="status", equals="running")
        assert (status.outcome, status.seen) == (FAIL, "query-status: status = prelaunch")  # held with -S
        assert ask(local_shell, sock, "query-status", key="running", equals="false").outcome == PASS
        name = ask(local_shell, sock, "query-name", key="name", equals="lpic3-test-monitor")
        assert name.outcome == PASS, name
        cpus = ask(local_shell, sock, "query-cpus-fast", key="2.cpu-index", equals="2")  # -smp 3: 0, 1, 2
        assert cpus.outcome == PASS, cpus
        unknown = ask(local_shell, sock, "query-no-such-thing", equals="x")
        assert unknown.outcome == FAIL
        assert unknown.seen == "query-no-such-thing: The command query-no-such-thing has not been found"
    with guest(tmp_path / "hmp") as sock:
        human = ask(local_shell, sock, "query-status", key="status", equals="running")
    assert human.outcome == FAIL and human.seen.startswith(f"{sock} is not a QMP monitor (it said: QEMU ")


def test_a_monitor_check_is_read_only_and_asks_one_thing() -> None:
    base = {"socket": "/s", "equals": "x"}
    assert argument_problems("qemu.monitor", {**base, "question": "info status", "key": "VM status"}) == []
    assert argument_problems("qemu.monitor", {**base, "question": "quit"})[0].startswith(
        "probe qemu.monitor argument 'question': 'quit' is not"
    )
    assert argument_problems("qemu.monitor", {**base, "question": "info status; quit"})[0].startswith(
        "probe qemu.monitor argument 'question'"
    )
    assert argument_problems("qemu.monitor", {**base, "question": "info cpus", "key": "k", "count": "CPU"}) == [
        "probe qemu.monitor takes 'key' or 'count', not both"
    ]
