"""Control groups, v1 and v2: which cgroup a process is in, and a group's limits in either layout.

A learner on a cgroup v2 host writes ``memory.max``; on a v1 host ``memory.limit_in_bytes`` in the
memory hierarchy. The limit probe reads whichever the target has, so the same lab checks both.
Everything is read in the kernel view (``checkers.kernelfiles``): a file mounted over a control
file or over ``/proc/PID/cgroup`` fails the check as tampered instead of being believed.
"""

from __future__ import annotations

import re
import shlex
from functools import partial

from checkers.kernelfiles import run_in_view
from checkers.probes.matchers import Match
from checkers.probes.processes import PID_ARG, find_pid
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.values import excerpt
from checkers.shell import Shell

ROOT = "/sys/fs/cgroup"
# limit name -> (v2 file, v1 controller, v1 file)
LIMITS = {
    "memory": ("memory.max", "memory", "memory.limit_in_bytes"),
    "pids": ("pids.max", "pids", "pids.max"),
    "cpu-quota": ("cpu.max", "cpu", "cpu.cfs_quota_us"),
    "cpu-period": ("cpu.max", "cpu", "cpu.cfs_period_us"),
}
_V1_UNLIMITED = {"memory": "9223372036854771712", "cpu-quota": "-1"}
_SIZE = re.compile(r"(?i)(\d+)\s*([kmgt]?)(?:i?b)?")
_UNIT = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_VERSION = f"stat -f -c %T {ROOT}"


def cgroup_version(shell: Shell) -> int:
    """2 when /sys/fs/cgroup is the unified hierarchy, else 1 (hybrid hosts count as 1)."""
    return _version(run_in_view(shell, _VERSION, [ROOT]).output)


def _version(stat_output: str) -> int:
    return 2 if stat_output.strip().splitlines()[:1] == ["cgroup2fs"] else 1


def _normalise(limit: str, text: str, version: int) -> str:
    """Comparable values: v1's huge memory number and -1 quota become 'max'; cpu.max gives the quota
    (first field) or the period (second)."""
    text = text.strip()
    if version == 2 and limit in ("cpu-quota", "cpu-period"):
        fields = text.split()
        return fields[limit == "cpu-period"] if len(fields) == 2 else text
    if version == 1 and _V1_UNLIMITED.get(limit) == text:
        return "max"
    return text


def _size(text: str) -> int | None:
    """A memory size as the kernel takes it (``268435456``, ``256M``, ``256MiB``: binary units), in bytes."""
    match = _SIZE.fullmatch(text.strip())
    return int(match[1]) * _UNIT[match[2].lower()] if match else None


def _same(limit: str, seen: str, equals: str) -> bool:
    if limit == "memory" and seen != "max" and equals != "max":
        return _size(seen) is not None and _size(seen) == _size(equals)
    return seen == equals


def _shown(limit: str, seen: str) -> str:
    """A memory limit in bytes also in MiB (or KiB), as a learner would write it."""
    size = _size(seen) if limit == "memory" and seen.isdigit() else None
    if size is None or size < 1024:
        return seen
    mib = size / (1 << 20)
    return f"{seen} ({mib:g} MiB)" if mib >= 1 else f"{seen} ({size / 1024:g} KiB)"


_LIMIT = Arg(
    str,
    help="memory (bytes), pids (count), cpu-quota or cpu-period (microseconds)",
    pattern="memory|pids|cpu-quota|cpu-period",
)


@probe(
    "cgroup.limit",
    "a cgroup's memory, pids, CPU-quota or CPU-period limit, read from v2 or v1 files",
    group=Arg(str, help="cgroup path below the hierarchy root, e.g. lpic3/web"),
    limit=_LIMIT,
    **MATCHER,
)
def cgroup_limit(shell: Shell, group: str, limit: str, **match: object) -> Verdict:
    """The value as the kernel shows it, 'max' for no limit (v1's huge number and -1 too); ``equals``
    takes a memory size in the kernel's binary units as well (256M is 268435456)."""
    return _limit(shell, cgroup_version(shell), group, limit, Match.of(match))


def _limit(shell: Shell, version: int, group: str, limit: str, matcher: Match) -> Verdict:
    v2_file, controller, v1_file = LIMITS[limit]
    path = f"{ROOT}/{group}/{v2_file}" if version == 2 else f"{ROOT}/{controller}/{group}/{v1_file}"
    wanted = f"{path} {matcher.describe()}"
    result = run_in_view(shell, f"cat {shlex.quote(path)}", [path])
    if result.status != 0:
        return Verdict(False, wanted, f"cannot read {path}: {result.output.strip()}")
    seen = _normalise(limit, result.output, version)
    return Verdict(matcher.judge(seen, partial(_same, limit)), wanted, f"{path} = {_shown(limit, seen)}")


@probe(
    "cgroup.process-limit",
    "the memory, pids, CPU-quota or CPU-period limit of the cgroup a process is in (v2, or v1: the limit's controller)",
    pid_cmd=PID_ARG,
    limit=_LIMIT,
    **MATCHER,
)
def cgroup_process_limit(shell: Shell, pid_cmd: str, limit: str, **match: object) -> Verdict:
    """For a container whose cgroup its manager names and places (LXD's ``lxc.payload.NAME``, where
    the host's layout puts it): a lab knows the process, not the group. The group is the one the
    kernel lists for the process, so a limit written on any other group does not count."""
    matcher = Match.of(match)
    pid, why = find_pid(shell, pid_cmd)
    if pid is None:
        return Verdict(False, f"{limit} limit {matcher.describe()} on the cgroup of a process", why)
    version, paths, listing = _cgroups_of(shell, pid)
    hierarchy = LIMITS[limit][1] if version == 1 else "(v2)"
    group = paths.get(hierarchy, "").strip("/")
    wanted = f"{limit} limit {matcher.describe()} on the cgroup of process {pid}"
    if hierarchy not in paths:
        where = f"no {hierarchy} line" if version == 1 else "no cgroup v2 line"
        return Verdict(False, wanted, f"{where} in /proc/{pid}/cgroup: {excerpt(listing)}")
    if not group:
        unlimited = matcher.judge("max", partial(_same, limit))
        return Verdict(unlimited, wanted, f"process {pid} is in the root cgroup, where no limit applies")
    verdict = _limit(shell, version, group, limit, matcher)
    return Verdict(verdict.passed, f"process {pid}: {verdict.expected}", verdict.seen)


def _cgroups_of(shell: Shell, pid: int) -> tuple[int, dict[str, str], str]:
    """The cgroup version, the cgroup path of ``pid`` per v1 controller (``(v2)`` for the unified
    line), and /proc/PID/cgroup as read, all in the kernel view."""
    read = run_in_view(shell, f"{_VERSION}; cat /proc/{pid}/cgroup", [ROOT, f"/proc/{pid}/cgroup"], merge=False)
    version, _, listing = read.output.partition("\n")
    paths = {}
    for line in listing.splitlines():
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        for name in controllers.split(",") if controllers else ["(v2)"]:
            paths[name] = path
    return _version(version), paths, listing


@probe(
    "cgroup.member",
    "a process is in the given cgroup (for a controller on v1 hosts)",
    pid_cmd=PID_ARG,
    group=Arg(str, help="cgroup path below the hierarchy root, e.g. lpic3/web"),
    controller=Arg(str, required=False, help="v1 controller whose hierarchy to look at (default memory)"),
)
def cgroup_member(shell: Shell, pid_cmd: str, group: str, controller: str = "memory") -> Verdict:
    pid, why = find_pid(shell, pid_cmd)
    if pid is None:
        return Verdict(False, f"a process in cgroup /{group}", why)
    version, paths, listing = _cgroups_of(shell, pid)
    wanted = "/" + group.strip("/")
    hierarchy = controller if version == 1 else "(v2)"
    seen = paths.get(hierarchy)
    if seen is None:
        where = f"no {controller} line" if hierarchy == controller else "no cgroup v2 line"
        return Verdict(False, f"process {pid} in cgroup {wanted}", f"{where} in /proc/{pid}/cgroup: {excerpt(listing)}")
    return Verdict(seen == wanted, f"process {pid} in cgroup {wanted}", f"process {pid} in cgroup {seen}")
