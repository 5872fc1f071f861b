"""Capabilities: a process's sets from /proc/<pid>/status (read in the kernel view: a file mounted over
it fails the check as tampered), and file capabilities from getcap."""

from __future__ import annotations

import shlex

from checkers.kernelfiles import run_in_view
from checkers.probes.matchers import Match
from checkers.probes.processes import PID_ARG, find_pid
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.shell import Shell

# Bit numbers from linux/capability.h.
NAMES = (
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
)
SETS = {
    "effective": "CapEff",
    "permitted": "CapPrm",
    "bounding": "CapBnd",
    "inheritable": "CapInh",
    "ambient": "CapAmb",
}


def decode(mask: int) -> set[str]:
    return {f"cap_{name}" for bit, name in enumerate(NAMES) if mask >> bit & 1}


def _names(text: str) -> list[str]:
    return [
        n.strip().lower() if n.strip().lower().startswith("cap_") else f"cap_{n.strip().lower()}"
        for n in text.split(",")
        if n.strip()
    ]


@probe(
    "caps.process",
    "a process's capability set holds some capabilities and lacks others",
    pid_cmd=PID_ARG,
    set=Arg(
        str,
        required=False,
        help="effective (default), permitted, bounding, inheritable or ambient",
        pattern="effective|permitted|bounding|inheritable|ambient",
    ),
    has=Arg(str, required=False, help="comma-separated capabilities that must be in the set"),
    lacks=Arg(str, required=False, help="comma-separated capabilities that must not be in the set"),
)
def caps_process(shell: Shell, pid_cmd: str, set: str = "effective", has: str = "", lacks: str = "") -> Verdict:
    pid, why = find_pid(shell, pid_cmd)
    wanted = f"{set} set with {has or '-'} and without {lacks or '-'}"
    if pid is None:
        return Verdict(False, wanted, why)
    field = SETS[set]
    status = run_in_view(shell, f"cat /proc/{pid}/status", [f"/proc/{pid}/status"], merge=False).output
    line = next((x for x in status.splitlines() if x.startswith(field + ":")), "")
    if not line:
        return Verdict(False, wanted, f"no {field} line in /proc/{pid}/status")
    caps = decode(int(line.split()[1], 16))
    missing = [c for c in _names(has) if c not in caps]
    extra = [c for c in _names(lacks) if c in caps]
    seen = (
        f"{field} {line.split()[1]}"
        + (f"; missing {', '.join(missing)}" if missing else "")
        + (f"; still has {', '.join(extra)}" if extra else "")
    )
    return Verdict(not missing and not extra, wanted, seen)


@probe(
    "caps.file",
    "a file carries exactly the given file capabilities (getcap)",
    path=Arg(str, help="absolute path of the file"),
    **MATCHER,
)
def caps_file(shell: Shell, path: str, **match: object) -> Verdict:
    """What getcap prints for the file, '' for none; ``equals`` takes them as getcap prints them
    ('cap_net_bind_service=ep'), in any order, comma- or space-separated."""
    matcher = Match.of(match)
    asked = "no file capabilities" if matcher == Match("equals", "") else f"capabilities {matcher.describe()}"
    wanted = f"{path}: {asked}"
    result = shell.run(f"getcap {shlex.quote(path)}", merge=False)
    if result.status != 0 and "No such file" in result.errors:
        return Verdict(False, wanted, f"{path} does not exist")
    text = result.output.strip()
    seen = text.split(None, 1)[1].strip() if text.startswith(path) and len(text.split(None, 1)) > 1 else ""
    return Verdict(matcher.judge(seen, _same_caps), wanted, f"{path}: {seen or 'no file capabilities'}")


def _same_caps(seen: str, equals: str) -> bool:
    """The same capability clauses, whatever their order and separators."""
    return _clauses(seen) == _clauses(equals)


def _clauses(text: str) -> set[str]:
    return {s.strip() for s in text.replace(" ", ",").split(",") if s.strip()}
