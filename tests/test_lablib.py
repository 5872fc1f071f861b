"""The lab library (checkers/lablib.py) on real processes: what it records, and what a reset may
signal. Every process a test starts here is its own (a ``sleep`` with a recognisable length) and is
stopped by the test; nothing outside them is ever signalled, because the library refuses, and the
one test that offers PID 1 and PID 1's children does it inside a PID namespace of its own, where
"PID 1" is the test's own shell."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers import lablib
from checkers.privdir import SHELL_FUNCTIONS
from checkers.probes import FAIL, NOT_JUDGED, PASS, Verdict, run_probe
from checkers.session import ShellSession
from tests.conftest import REPO
from trainer.curriculum.loader import load_curriculum

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="lab scripts run as root, and the test signals processes")


class Attempt:
    """A lab attempt's folders in a temporary place: ``run`` runs shell text the way the runner runs
    a lab script (``set -e`` in bash, the library in front, the records folder of this attempt)."""

    def __init__(self, root: Path) -> None:
        self.workdir = str(root / "labs" / "lab-0001")
        self.records = Path(lablib.record_dir(self.workdir))

    def run(self, text: str, record_left: bool = False) -> subprocess.CompletedProcess[str]:
        script = lablib.preamble(self.workdir) + SHELL_FUNCTIONS + (lablib.RECORD_LEFT if record_left else "") + text
        return subprocess.run(
            ["/bin/bash", "-c", "set -e\n" + script], capture_output=True, text=True, timeout=60, check=False
        )

    def setup(self, text: str = "") -> subprocess.CompletedProcess[str]:
        """The runner's part of setup (records folder, the moment setup began), then ``text``."""
        result = self.run(lablib.make_records_script() + text, record_left=True)
        assert result.returncode == 0, result.stderr
        return result


@pytest.fixture
def attempt(tmp_path: Path) -> Iterator[Attempt]:
    made = Attempt(tmp_path)
    yield made
    made.run(lablib.sweep_script())  # what a test left recorded is stopped


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start_time(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[19]


def parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rpartition(")")[2].split()[1])


@pytest.fixture
def sleeps() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Sleeps the test starts as children of its own process; each is stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def sleep(started: list[subprocess.Popen[bytes]], seconds: int = 617) -> int:
    process = subprocess.Popen(["sleep", str(seconds)])
    started.append(process)
    return process.pid


def orphan(seconds: int = 618) -> int:
    """A sleep that is a direct child of PID 1 (its parent exits at once), as a daemon is."""
    out = subprocess.run(
        ["/bin/sh", "-c", f"setsid sleep {seconds} </dev/null >/dev/null 2>&1 & echo $!"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pid = int(out)
    for _ in range(50):
        if parent(pid) == 1:
            return pid
        time.sleep(0.1)
    raise AssertionError(f"sleep {pid} never became a child of PID 1")


def stop(pid: int) -> None:
    """Stop a process this test started itself (it checked the start time when it started it)."""
    if alive(pid):
        os.kill(pid, 9)


def test_a_recorded_process_is_stopped_and_nothing_named_later_in_its_place(
    attempt: Attempt, sleeps: list[subprocess.Popen[bytes]]
) -> None:
    """Setup records a sleep and writes its PID file; the job is then replaced by another sleep
    and the PID file rewritten (what a learner may do). The reset stops the job setup started only:
    the replacement survives, even when the record itself is forged to name it."""
    attempt.setup(
        f"setsid sleep 611 </dev/null >/dev/null 2>&1 & echo $! > {attempt.records}/../pidfile; lpic3_record job $!"
    )
    job = int((attempt.records.parent / "pidfile").read_text())
    assert alive(job) and attempt.run("lpic3_recorded job").stdout.strip() == str(job)
    replacement = sleep(sleeps)
    (attempt.records.parent / "pidfile").write_text(f"{replacement}\n")
    # The record names the replacement's PID, with the job's start time: still not that process.
    record = (attempt.records / "job").read_text().split()
    (attempt.records / "forged").write_text(f"{replacement} {record[1]} {record[2]}\n")
    assert attempt.run("lpic3_recorded forged || echo refused").stdout.strip() == "refused"
    attempt.run("lpic3_kill_recorded")
    assert not alive(job) and alive(replacement)


def test_pid_1_and_its_children_are_never_signalled_on_a_files_word(tmp_path: Path) -> None:
    """In a PID namespace of the test's own, "PID 1" is the test's shell with children. PID 1 is
    refused even when recorded; a child of PID 1 is refused when nothing recorded it, and when its
    record does not carry its start time (a PID written into a record by hand); a grandchild that
    setup recorded is stopped (the library works there, it only refuses)."""
    inner = (
        lablib.preamble(str(tmp_path / "labs" / "lab-0002"))
        + SHELL_FUNCTIONS
        + lablib.make_records_script()
        + """
sleep 612 & child=$!
sleep 613 & forged=$!
( sleep 614 & echo $! > "$LPIC3_RECORDS/../grandchild"; wait ) & sub=$!
for i in $(seq 50); do [ -s "$LPIC3_RECORDS/../grandchild" ] && break; sleep 0.1; done
g=$(cat "$LPIC3_RECORDS/../grandchild")
lpic3_record one $$
lpic3_record grandchild $g
read -r p start boot < "$LPIC3_RECORDS/grandchild"
read -r -a stat < <(cut -d')' -f2- /proc/$forged/stat)
echo "$forged $(( stat[19] + 7 )) $boot" > "$LPIC3_RECORDS/forged"  # its own start time is never this
lpic3_kill 1 $child 2>&1
lpic3_kill_recorded 2>&1
echo "pid1 $$ child $(test -d /proc/$child && echo alive) forged $(test -d /proc/$forged && echo alive)"
echo "grandchild $(grep -q '^State:.Z' /proc/$g/status 2>/dev/null || test ! -d /proc/$g && echo stopped)"
kill $child $forged $sub 2>/dev/null; wait
"""
    )
    result = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount", "--mount-proc", "/bin/bash", "-c", "set -e\n" + inner],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "pid1 1 child alive forged alive" in result.stdout, (result.stdout, result.stderr)
    assert "grandchild stopped" in result.stdout, (result.stdout, result.stderr)
    assert "PID 1 (bash): PID 1 or a process the kernel started" in result.stdout
    assert "(sleep): a direct child of PID 1 that no lab script started" in result.stdout


def test_on_the_host_pid_1_its_children_the_caller_and_kernel_threads_are_refused(
    attempt: Attempt, sleeps: list[subprocess.Popen[bytes]]
) -> None:
    attempt.setup()
    daemon = orphan()
    kthread = next(
        int(d)
        for d in os.listdir("/proc")
        if d.isdigit() and int(d) > 2 and os.path.exists(f"/proc/{d}/stat") and parent(int(d)) == 2
    )
    thread_id: list[int] = []
    ready, done = threading.Event(), threading.Event()

    def worker() -> None:
        thread_id.append(threading.get_native_id())
        ready.set()
        done.wait(30)

    threading.Thread(target=worker).start()
    ready.wait(10)
    try:
        # the test's own process (an ancestor of the shell), PID 1, a child of PID 1, kernel threads, a thread
        cases = {
            os.getpid(): "this shell or one of its ancestors",
            1: "PID 1 or a process the kernel started",
            2: "PID 1 or a process the kernel started",
            daemon: "a direct child of PID 1 that no lab script started",
            kthread: "a kernel thread",
            thread_id[0]: f"a thread of process {os.getpid()}",
        }
        for pid, why in cases.items():
            result = attempt.run(f'lpic3_may_kill {pid} && echo allowed || echo "refused: $__lpic3_why"')
            assert result.stdout.strip() == f"refused: {why}", (pid, result.stdout, result.stderr)
        attempt.run(f"lpic3_kill {daemon} {os.getpid()} $$ $PPID")
        assert alive(daemon)
    finally:
        done.set()
        stop(daemon)


def test_found_processes_must_be_younger_than_setup(attempt: Attempt, sleeps: list[subprocess.Popen[bytes]]) -> None:
    """A process the lab finds (by its own proof) is stopped only if it started after this attempt's
    setup began: whatever ran before (daemons, another attempt's work) is older."""
    older = sleep(sleeps)
    time.sleep(0.05)
    attempt.setup()
    younger = sleep(sleeps)
    result = attempt.run(f"lpic3_kill {older} {younger}")
    assert f"PID {older} (sleep): older than this attempt's setup" in result.stderr
    for _ in range(30):
        if not alive(younger):
            break
        time.sleep(0.1)
    assert alive(older) and not alive(younger)


def test_without_a_setup_nothing_found_may_be_signalled(
    attempt: Attempt, sleeps: list[subprocess.Popen[bytes]]
) -> None:
    """A reset before setup (the runner runs one first) has no records: nothing can be proved."""
    pid = sleep(sleeps)
    assert attempt.run(f"lpic3_kill {pid}").returncode == 0
    time.sleep(0.2)
    assert alive(pid)


def test_what_a_script_leaves_running_is_recorded_with_its_children_and_swept(
    attempt: Attempt, sleeps: list[subprocess.Popen[bytes]]
) -> None:
    """A lab script's background processes are recorded when it ends, even detached ones that are
    children of PID 1 by reset time; a child its recorded process forks later goes with it. The
    sweep after reset stops them all, and nothing else (the test's own sleep, started meanwhile)."""
    attempt.setup(
        "setsid sleep 615 </dev/null >/dev/null 2>&1 &\n"
        # the sh forks its sleep 616 after the script has ended: not recorded itself, but its parent is
        "setsid sh -c 'sleep 0.5; sleep 616 & echo $! > \"$0\"; wait' $LPIC3_RECORDS/../late"
        " </dev/null >/dev/null 2>&1 &\n"
    )
    late = attempt.records.parent / "late"
    for _ in range(50):
        if late.exists() and late.read_text().strip():
            break
        time.sleep(0.1)
    grandchild = int(late.read_text())
    recorded = {int(f.read_text().split()[0]) for f in attempt.records.glob("started.*")}
    recorded = {pid for pid in recorded if alive(pid)}  # the sh's own sleep 0.5 was recorded too, and is over
    assert len(recorded) == 2 and all(parent(pid) == 1 for pid in recorded)
    assert parent(grandchild) in recorded
    bystander = sleep(sleeps, 616)
    result = attempt.run(lablib.sweep_script())
    assert result.returncode == 0, result.stderr
    assert not any(alive(pid) for pid in recorded | {grandchild})
    assert alive(bystander) and not attempt.records.exists()


def test_a_recorded_process_that_forks_while_it_is_stopped_leaves_no_child_behind(attempt: Attempt) -> None:
    """A recorded supervisor that forks its workers while the reset lists its tree: every worker goes
    with it (an earlier reset listed the tree and then killed, and workers forked in between were left
    running as children of PID 1, which the rules then refuse to signal)."""
    mark = f"{600 + os.getpid() % 100}.{time.time_ns() % 997}"  # this test's sleeps, by their argument
    attempt.setup(f"setsid bash -c 'for i in $(seq 2000); do sleep {mark} & done; wait' </dev/null >/dev/null 2>&1 &")
    time.sleep(0.3)  # it is forking now
    result = attempt.run("lpic3_kill_recorded -KILL")
    assert result.returncode == 0, result.stderr
    time.sleep(0.5)
    left = [int(d) for d in os.listdir("/proc") if d.isdigit() and _cmdline(int(d)) == ["sleep", mark]]
    for pid in left:
        stop(pid)
    assert "left running" not in result.stderr, result.stderr
    assert left == [], f"{len(left)} workers outlived their supervisor"


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def test_namespace_and_folder_members_are_listed(attempt: Attempt, tmp_path: Path) -> None:
    """``lpic3_ns_members`` and ``lpic3_fd_users``, the proofs labs use, find real processes."""
    held = tmp_path / "held"
    held.mkdir()
    with (held / "f").open("w"):
        inner = subprocess.Popen(["unshare", "--uts", "sleep", "619"])
        try:
            for _ in range(50):
                if os.readlink(f"/proc/{inner.pid}/ns/uts") != os.readlink("/proc/self/ns/uts"):
                    break
                time.sleep(0.1)
            inode = os.stat(f"/proc/{inner.pid}/ns/uts").st_ino
            assert attempt.run(f"lpic3_ns_members uts {inode}").stdout.split() == [str(inner.pid)]
            assert str(os.getpid()) in attempt.run(f"lpic3_fd_users {held}").stdout.split()
        finally:
            inner.kill()
            inner.wait()


def same(shell: ShellSession, attempt: Attempt, record: str = "job", pid_cmd: str = "") -> Verdict:
    args = {"record": record, "workdir": attempt.workdir} | ({"pid_cmd": pid_cmd} if pid_cmd else {})
    return run_probe(shell, "process.same", args)


def test_process_same_passes_only_for_the_very_process_setup_recorded(
    attempt: Attempt, sleeps: list[subprocess.Popen[bytes]], local_shell: ShellSession
) -> None:
    """The check behind "do not restart the job": the PID file must name the process setup started,
    still running. A rewritten PID file, a restarted job and a missing record each say so."""
    pidfile = attempt.records.parent / "pidfile"
    attempt.setup(f"setsid sleep 621 </dev/null >/dev/null 2>&1 & echo $! > {pidfile}; lpic3_record job $!")
    job = int(pidfile.read_text())
    verdict = same(local_shell, attempt, pid_cmd=f"cat {pidfile}")
    assert verdict.outcome == PASS and f"job PID {job}" in verdict.seen
    other = sleep(sleeps, 622)
    pidfile.write_text(f"{other}\n")
    verdict = same(local_shell, attempt, pid_cmd=f"cat {pidfile}")
    assert verdict.outcome == FAIL and f"names PID {other}, not job (PID {job})" in verdict.seen
    assert same(local_shell, attempt).outcome == PASS  # without pid_cmd: only that it still runs
    verdict = same(local_shell, attempt, record="nothing")
    assert verdict.outcome == NOT_JUDGED and "setup left no record of nothing" in verdict.seen
    os.kill(job, 9)  # the learner kills the job; a new one takes its place in the PID file
    pidfile.write_text(f"{other}\n")
    verdict = same(local_shell, attempt, pid_cmd=f"cat {pidfile}")
    assert verdict.outcome == FAIL and f"job (PID {job}) is no longer running" in verdict.seen
    attempt.run(lablib.sweep_script())
    verdict = same(local_shell, attempt, pid_cmd=f"cat {pidfile}")
    assert verdict.outcome == FAIL and "this attempt has no records" in verdict.seen


TAMPER = """
import sys
from checkers.probes import run_probe
from checkers.session import ShellSession, local_argv
workdir, job, forged = sys.argv[1:4]
import subprocess
with ShellSession(local_argv(), "local") as shell:
    subprocess.run(["mount", "--bind", forged, f"/proc/{job}/stat"], check=True)
    print(run_probe(shell, "process.same", {"record": "job", "workdir": workdir}).seen)
"""


def test_process_same_fails_when_proc_is_covered(attempt: Attempt, tmp_path: Path) -> None:
    """A file bind-mounted over the job's /proc/PID/stat (in a mount namespace of the test's own)
    cannot pass for the job: the check says it was tampered with."""
    attempt.setup(f"setsid sleep 623 </dev/null >/dev/null 2>&1 & echo $! > {tmp_path}/job; lpic3_record job $!")
    job = (tmp_path / "job").read_text().strip()
    forged = tmp_path / "stat"
    forged.write_text(Path(f"/proc/{job}/stat").read_text())
    result = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            "-c",
            TAMPER,
            attempt.workdir,
            job,
            str(forged),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert "tampered" in result.stdout, (result.stdout, result.stderr)


def test_no_lab_script_sets_its_own_exit_trap() -> None:
    """The runner records what a script leaves running in an EXIT trap; a lab's own would replace it."""
    for exercise in load_curriculum().exercises:
        for script in (exercise.setup, exercise.solution, exercise.reset, *(w.script for w in exercise.wrong_answers)):
            assert not re.search(r"\btrap\b", script), f"{exercise.id} sets a trap"
