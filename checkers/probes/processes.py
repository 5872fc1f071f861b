"""Processes: finding the learner's process (labs name it by a command that prints its PID), and
whether a process is still the very one the lab's setup started (``process.same``: same PID, same
start time, as ``checkers.lablib`` recorded it where the learner's task does not point)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from checkers.kernelfiles import run_in_view
from checkers.lablib import record_dir
from checkers.probes.registry import Arg, Verdict, probe
from checkers.shell import Shell

PID_ARG = Arg(
    str,
    help="shell command printing the PID of the process to inspect, e.g. 'cat /run/lab.pid' or 'pgrep -xo sleep'",
    shell=True,
)


def find_pid(shell: Shell, pid_cmd: str) -> tuple[int | None, str]:
    """The PID printed by ``pid_cmd`` (first number), or None and what went wrong."""
    result = shell.run(pid_cmd)
    for word in result.output.split():
        if word.isdigit():
            pid = int(word)
            if shell.run(f"test -d /proc/{pid}").status == 0:
                return pid, ""
            return None, f"process {pid} (from `{pid_cmd}`) is not running"
    return None, f"`{pid_cmd}` printed no PID" + (f" ({result.output.strip()[:120]})" if result.output.strip() else "")


_NAMES = r"[A-Za-z0-9_][A-Za-z0-9_.-]*(,[A-Za-z0-9_][A-Za-z0-9_.-]*)*"


@dataclass(frozen=True, slots=True)
class _Recorded:
    """What setup recorded of one process (``checkers.lablib``: ``lpic3_record NAME PID``)."""

    name: str
    pid: int
    start: str  # field 22 of /proc/PID/stat: clock ticks after boot
    boot: str  # the kernel's boot_id then


@probe(
    "process.same",
    "the processes a lab's setup started (recorded with their start time) still run, and a file names them",
    record=Arg(str, help="names setup recorded with lpic3_record, comma-separated (e.g. job,child1)", pattern=_NAMES),
    workdir=Arg(str, help='always "{{workdir}}": the records are kept beside the attempt\'s working folder'),
    pid_cmd=Arg(
        str,
        required=False,
        shell=True,
        help="shell command printing one PID per recorded name, in order (e.g. 'cat {{workdir}}/pid'): "
        "each must be that very process; without it only that each still runs",
    ),
)
def same(shell: Shell, record: str, workdir: str, pid_cmd: str = "") -> Verdict:
    names = record.split(",")
    expected = f"{', '.join(names)}: the process(es) setup started, still running" + (
        f", named by `{pid_cmd}`" if pid_cmd else ""
    )
    folder = record_dir(workdir)
    listing = shell.run(
        f"test -d {shlex.quote(folder)} || exit 3; cat /proc/sys/kernel/random/boot_id; "
        + "; ".join(f"printf '%s ' {n}; cat -- {shlex.quote(f'{folder}/{n}')} 2>/dev/null || echo" for n in names),
        merge=False,
    )
    if listing.status == 3:
        return Verdict(False, expected, "this attempt has no records: it was reset (or not set up); start the lab")
    lines = listing.output.splitlines()
    boot, recorded = (lines[0].strip() if lines else ""), []
    for line in lines[1:]:
        name, *fields = line.split()
        if len(fields) != 3 or not fields[0].isdigit():
            return Verdict.not_judged(expected, f"setup left no record of {name}: start the lab again")
        recorded.append(_Recorded(name, int(fields[0]), fields[1], fields[2]))
    if len(recorded) != len(names):
        return Verdict.not_judged(expected, f"the records in {folder} could not be read")
    problems = _not_running(shell, recorded, boot)
    if not problems and pid_cmd:
        problems = _not_named(shell, recorded, pid_cmd)
    if problems:
        return Verdict(False, expected, "; ".join(problems))
    shown = ", ".join(f"{r.name} PID {r.pid}" for r in recorded)
    return Verdict(True, expected, f"{shown}: the same process(es), started at the recorded time, still running")


def _not_running(shell: Shell, recorded: list[_Recorded], boot: str) -> list[str]:
    """What is wrong with each recorded process now: gone, or replaced (same PID, another start time).
    /proc/PID/stat is read in the kernel view: something mounted over it fails the check as tampered."""
    stats = run_in_view(
        shell,
        "; ".join(f"cat /proc/{r.pid}/stat 2>/dev/null || echo" for r in recorded),
        [f"/proc/{r.pid}/stat" for r in recorded],
        merge=False,
    )
    problems = []
    for r, line in zip(recorded, stats.output.splitlines() + [""] * len(recorded), strict=False):
        fields = line[line.rfind(")") + 2 :].split() if ")" in line else []
        if r.boot != boot:
            problems.append(f"{r.name}: recorded before the machine restarted; start the lab again")
        elif len(fields) < 20 or fields[0] in ("Z", "X"):
            problems.append(f"{r.name} (PID {r.pid}) is no longer running: it was stopped or restarted")
        elif fields[19] != r.start:
            problems.append(f"{r.name}: PID {r.pid} is now another process (started later): it was restarted")
    return problems


def _not_named(shell: Shell, recorded: list[_Recorded], pid_cmd: str) -> list[str]:
    """Where the PIDs ``pid_cmd`` prints differ from the recorded ones, in order."""
    printed = [int(word) for word in shell.run(pid_cmd).output.split() if word.isdigit()]
    problems = []
    for index, r in enumerate(recorded):
        if index >= len(printed):
            problems.append(f"`{pid_cmd}` names no process for {r.name} (PID {r.pid})")
        elif printed[index] != r.pid:
            problems.append(f"`{pid_cmd}` names PID {printed[index]}, not {r.name} (PID {r.pid}) that setup started")
    return problems
