"""A reset can never hurt the machine, whatever the learner wrote into the lab's PID files.

For every lab that keeps a PID in a file of ``{{workdir}}`` (found in its YAML, so a new lab is
covered): start it, apply its solution, write into each PID file first ``1`` (the PID a process
sees of itself inside a PID namespace: an easy mistake), then the PID of a ``sleep`` the test
started outside the lab, then that of a ``sleep`` that is a direct child of PID 1 as a daemon is,
and run the lab's reset each time. The reset runs under ``strace``, which lists every signal it
sent: none may go to PID 1, to a process group or to every process, nor to any direct child of
PID 1 that the lab's scripts did not record; and the test's sleeps (one started before setup, two
after) must all still run.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from checkers.detect import Feature
from checkers.lablib import record_dir
from checkers.session import ShellSession, local_argv
from tests.test_exercises import BUNDLED, features, lab_daemons  # noqa: F401  (fixtures: the daemons the labs need)
from trainer.curriculum.model import Exercise
from trainer.labs.render import choose_params, render_shell
from trainer.labs.runner import run_script

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the labs that keep PIDs need root")

_IN_WORKDIR = re.compile(r"\{\{\s*workdir\s*\}\}/([\w.-]+)")
_SIGNAL = re.compile(r"^(\d+)\s+(kill|tkill|tgkill|pidfd_send_signal)\((-?\d+)(?:, (-?\d+))?, ([A-Z0-9]+)")


def _texts(exercise: Exercise) -> Iterator[tuple[str, str]]:
    """Every text of a lab with where it is: (argument name or part, text)."""
    yield "task", exercise.task
    for part in (exercise.setup, exercise.solution, exercise.reset, *(w.script for w in exercise.wrong_answers)):
        yield "script", part
    for check in exercise.checks:
        for key, value in check.args.items():
            if isinstance(value, str):
                yield key, value


def pid_files(exercise: Exercise) -> set[str]:
    """The files of ``{{workdir}}`` the lab keeps a PID in, by what its YAML says of them: a check
    finds a process through them (an argument ``*pid_cmd``), or their name says so (``*pid*``)."""
    names = set()
    for where, text in _texts(exercise):
        for name in _IN_WORKDIR.findall(text):
            if where.endswith("pid_cmd") or "pid" in name:
                names.add(name)
    return names


KEEPS_PIDS = [e for e in BUNDLED if pid_files(e)]


def test_the_labs_that_keep_pids_are_found() -> None:
    """The discovery finds the labs known to keep PIDs in their folder (and so will find a new one)."""
    found = {e.id for e in KEEPS_PIDS}
    assert {"352.1-uts-pid-namespace", "352.1-nsenter-run", "351.3-qemu-monitor", "352.2-lxc-freeze"} <= found
    assert "351.5-qcow2-overlay" not in found


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields


def alive(pid: int) -> bool:
    return _stat(pid) is not None


def children_of_init() -> dict[int, str]:
    """Every direct child of PID 1 now, with its start time."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None and fields[1] == "1":
            found[int(entry)] = fields[19]
    return found


def orphan(seconds: int) -> int:
    """A sleep that is a direct child of PID 1 (its parent exits at once), as a daemon is."""
    pid = int(
        subprocess.run(
            ["/bin/sh", "-c", f"setsid sleep {seconds} </dev/null >/dev/null 2>&1 & echo $!"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for _ in range(50):
        if (fields := _stat(pid)) is not None and fields[1] == "1":
            return pid
        time.sleep(0.1)
    raise AssertionError(f"sleep {pid} never became a child of PID 1")


def recorded(workdir: str) -> set[int]:
    """The PIDs the lab's scripts recorded (checkers/lablib.py), whose start time still matches."""
    found = set()
    folder = Path(record_dir(workdir))
    for record in folder.glob("*") if folder.is_dir() else []:
        if record.name.startswith("."):
            continue
        pid, start, _boot = record.read_text().split()
        if (fields := _stat(int(pid))) is not None and fields[19] == start:
            found.add(int(pid))
    return found


def signals_sent(log: Path) -> list[tuple[int, str]]:
    """(target, signal) for every signal the traced shell and its children sent (not signal 0)."""
    sent = []
    for line in log.read_text().splitlines():
        match = _SIGNAL.match(line)
        if match and match.group(5) != "0":
            call, first = match.group(2), int(match.group(3))
            target = int(match.group(4)) if call == "tgkill" and match.group(4) else first
            sent.append((target, match.group(5)))
    return sent


@pytest.fixture
def tracing(tmp_path: Path) -> Path:
    if not shutil.which("strace"):
        pytest.skip("strace is not installed (it lists the signals a reset sends)")
    return tmp_path / "signals.log"


@pytest.mark.parametrize("exercise", KEEPS_PIDS, ids=[e.id for e in KEEPS_PIDS])
def test_a_reset_never_signals_pid_1_its_children_or_a_process_named_in_a_pid_file(
    exercise: Exercise,
    features: dict[str, Feature],  # noqa: F811
    tracing: Path,
) -> None:
    missing = [f"{name} ({features[name].reason})" for name in exercise.requires if not features[name].available]
    if missing:
        pytest.skip(f"{exercise.id} cannot run here: needs {', '.join(missing)}")
    values = choose_params(exercise, random.Random(7))
    workdir = values["workdir"]
    older = orphan(631)  # a daemon: a child of PID 1, older than the lab
    younger: list[subprocess.Popen[bytes]] = []
    try:
        with ShellSession(local_argv(), "local") as shell:
            for round_ in ("1", "child", "orphan"):
                run_script(shell, "reset", exercise.reset, values)
                run_script(shell, "setup", exercise.setup, values)
                run_script(shell, "solution", exercise.solution, values)
                if round_ == "1":
                    target = 1
                elif round_ == "child":
                    younger.append(subprocess.Popen(["sleep", "632"]))
                    target = younger[-1].pid
                else:
                    target = orphan(633)
                written = _write_everywhere(exercise, workdir, target)
                assert written, f"{exercise.id}: no PID file found in {workdir} after the solution"
                allowed = recorded(workdir)
                init_children = children_of_init()
                tracing.unlink(missing_ok=True)
                traced = [
                    "/usr/bin/strace", "-f", "-qq", "-e", "trace=kill,tkill,tgkill,pidfd_send_signal",
                    "-e", "signal=none", "-o", str(tracing), *local_argv(),
                ]  # fmt: skip
                with ShellSession(traced, "local, traced") as watched:
                    run_script(watched, "reset", exercise.reset, values)
                for pid, signal in signals_sent(tracing):
                    assert pid > 1, f"{exercise.id} (PID files: {written} = {target}): reset sent {signal} to {pid}"
                    assert pid not in init_children or pid in allowed, (
                        f"{exercise.id} (PID files: {written} = {target}): reset sent {signal} to {pid}, a child "
                        "of PID 1 that the lab's scripts did not record"
                    )
                assert alive(older), f"{exercise.id}: a child of PID 1 ({older}) is gone after a reset"
                assert alive(target), f"{exercise.id}: PID {target}, written into {written}, is gone after reset"
                assert not Path(workdir).exists() and not Path(record_dir(workdir)).exists()
                if round_ == "orphan":
                    os.kill(target, 9)
    finally:
        for process in younger:
            process.kill()
            process.wait()
        os.kill(older, 9)


def _write_everywhere(exercise: Exercise, workdir: str, pid: int) -> list[str]:
    """Write ``pid`` into every PID file of the attempt: those the YAML names, and any other file of
    the folder that holds a running process's PID (files a loop names, e.g. ``other-*``)."""
    written = []
    for path in sorted(Path(workdir).iterdir()):
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(errors="replace").strip()
        if path.name in pid_files(exercise) or (text.isdigit() and alive(int(text))):
            path.write_text(f"{pid}\n")
            written.append(path.name)
    return written


# Labs whose reset finds the learner's own processes by the lab's proof (a namespace with the
# attempt's name, the setup's target's namespaces, the attempt's user mapping, the attempt's monitor
# socket and folder), so a reset still cleans up what the learner started, without a PID file.
FINDS_THE_LEARNERS_WORK = ["352.1-uts-pid-namespace", "352.1-nsenter-run", "352.1-user-namespace", "351.3-qemu-monitor"]


def descendants(root: int) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            parents[int(entry)] = int(fields[1])
    found, more = {root}, True
    while more:
        more = False
        for pid, ppid in parents.items():
            if ppid in found and pid not in found:
                found.add(pid)
                more = True
    return found - {root}


@pytest.mark.parametrize("lab_id", FINDS_THE_LEARNERS_WORK)
def test_a_reset_still_stops_what_the_learner_started_for_the_lab(
    lab_id: str,
    features: dict[str, Feature],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The lab's solution typed into a learner's terminal (a shell that is no lab script, so nothing
    it starts is recorded): after the reset, nothing it started is left, and the terminal is."""
    exercise = _runnable(lab_id, features)
    values = choose_params(exercise, random.Random(11))
    with ShellSession(local_argv(), "local") as shell:
        run_script(shell, "reset", exercise.reset, values)
        run_script(shell, "setup", exercise.setup, values)
        with _typed_solution(exercise, values, tmp_path / "done") as (terminal, started):
            run_script(shell, "reset", exercise.reset, values)
            left = {pid for pid in started if alive(pid)}
            assert not left, f"{lab_id}: the reset left the learner's {left} running"
            assert terminal.poll() is None, f"{lab_id}: the reset stopped the learner's terminal"


def test_two_attempts_with_the_same_uid_reset_only_their_own_namespace(
    features: dict[str, Feature],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Two learners drew the same uid for the user-namespace lab (1 in 1000; here the same seed):
    the reset of one finds both namespaces by their mapping, and stops only its own learner's
    process (the other's PID file names the other namespace)."""
    exercise = _runnable("352.1-user-namespace", features)
    mine, theirs = (choose_params(exercise, random.Random(11)) for _ in range(2))
    assert mine["uid"] == theirs["uid"]
    with ShellSession(local_argv(), "local") as shell:
        for values in (mine, theirs):
            run_script(shell, "setup", exercise.setup, values)
        try:
            with (
                _typed_solution(exercise, mine, tmp_path / "mine") as (_, my_work),
                _typed_solution(exercise, theirs, tmp_path / "theirs") as (_, their_work),
            ):
                run_script(shell, "reset", exercise.reset, mine)
                assert not {pid for pid in my_work if alive(pid)}, "the reset left its own learner's process"
                assert all(alive(pid) for pid in their_work), "the reset stopped the other attempt's process"
        finally:
            run_script(shell, "reset", exercise.reset, theirs)


def _runnable(lab_id: str, found: dict[str, Feature]) -> Exercise:
    """The bundled lab ``lab_id``, or a skip naming what this machine lacks for it (``found``)."""
    (exercise,) = [e for e in BUNDLED if e.id == lab_id]
    missing = [f"{name} ({found[name].reason})" for name in exercise.requires if not found[name].available]
    if missing:
        pytest.skip(f"{exercise.id} cannot run here: needs {', '.join(missing)}")
    return exercise


@contextmanager
def _typed_solution(
    exercise: Exercise, values: dict[str, str], done: Path
) -> Iterator[tuple[subprocess.Popen[bytes], set[int]]]:
    """The lab's solution typed into a learner's terminal, once it has finished: the terminal, and
    what the solution left running (the terminal's descendants, the users of the attempt's folder)."""
    typed = f"set -e\n{render_shell(exercise.solution, values)}\ntouch {done}\nexec sleep 300\n"
    terminal = subprocess.Popen(["/bin/bash", "-c", typed], stdin=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if done.exists() or terminal.poll() is not None:
                break
            time.sleep(0.1)
        assert done.exists(), f"{exercise.id}: the solution did not finish in the learner's terminal"
        started = descendants(terminal.pid) | {int(p) for p in _fd_users(values["workdir"])}
        assert started, f"{exercise.id}: the solution left nothing running"
        yield terminal, started
    finally:
        terminal.kill()
        terminal.wait()


def _fd_users(folder: str) -> set[str]:
    """The processes holding a file below ``folder`` open (a daemonized QEMU with its disk)."""
    users = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            links = [os.readlink(f"/proc/{entry}/fd/{fd}") for fd in os.listdir(f"/proc/{entry}/fd")]
        except OSError:
            continue
        if any(link.startswith(folder + "/") for link in links):
            users.add(entry)
    return users
