"""Control groups, v1 and v2: which cgroup a process is in, and a group's limits in either layout.

A learner on a cgroup v2 host writes ``memory.max``; on a v1 host ``memory.limit_in_bytes`` in the
memory hierarchy. The limit probe reads whichever the target has, so the same lab checks both.
"""

from __future__ import annotations

import shlex

from checkers.probes.processes import PID_ARG, find_pid
from checkers.probes.registry import Arg, Verdict, probe
from checkers.probes.values import excerpt
from checkers.shell import Shell

ROOT = "/sys/fs/cgroup"
# limit name -> (v2 file, v1 controller, v1 file)
LIMITS = {
    "memory": ("memory.max", "memory", "memory.limit_in_bytes"),
    "pids": ("pids.max", "pids", "pids.max"),
    "cpu-quota": ("cpu.max", "cpu", "cpu.cfs_quota_us"),
}
_V1_UNLIMITED = {"memory": "9223372036854771712", "cpu-quota": "-1"}


def cgroup_version(shell: Shell) -> int:
    """2 when /sys/fs/cgroup is the unified hierarchy, else 1 (hybrid hosts count as 1)."""
    out = shell.run(f"stat -f -c %T {ROOT}").output.strip()
    return 2 if out == "cgroup2fs" else 1


def _normalise(limit: str, text: str, version: int) -> str:
    """Comparable values: v1's huge memory number and -1 quota become 'max'; cpu.max keeps the quota."""
    text = text.strip()
    if version == 2 and limit == "cpu-quota":
        return text.split()[0] if text else text
    if version == 1 and _V1_UNLIMITED.get(limit) == text:
        return "max"
    return text


@probe(
    "cgroup.limit",
    "a cgroup's memory, pids or CPU-quota limit, read from v2 or v1 files",
    group=Arg(str, help="cgroup path below the hierarchy root, e.g. lpic3/web"),
    limit=Arg(
        str, help="memory (bytes), pids (count) or cpu-quota (microseconds per period)", pattern="memory|pids|cpu-quota"
    ),
    equals=Arg(str, help="expected value as the kernel shows it, or 'max' for no limit"),
)
def cgroup_limit(shell: Shell, group: str, limit: str, equals: str) -> Verdict:
    version = cgroup_version(shell)
    v2_file, controller, v1_file = LIMITS[limit]
    path = f"{ROOT}/{group}/{v2_file}" if version == 2 else f"{ROOT}/{controller}/{group}/{v1_file}"
    result = shell.run(f"cat {shlex.quote(path)}")
    if result.status != 0:
        return Verdict(False, f"{limit} limit {equals} on {group}", f"cannot read {path}: {result.output.strip()}")
    seen = _normalise(limit, result.output, version)
    return Verdict(seen == equals, f"{path} = {equals}", f"{path} = {seen}")


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
    listing = shell.run(f"cat /proc/{pid}/cgroup").output
    lines = listing.splitlines()
    paths = {}
    for line in lines:
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        for name in controllers.split(",") if controllers else ["(v2)"]:
            paths[name] = path
    wanted = "/" + group.strip("/")
    hierarchy = controller if cgroup_version(shell) == 1 else "(v2)"
    seen = paths.get(hierarchy)
    if seen is None:
        where = f"no {controller} line" if hierarchy == controller else "no cgroup v2 line"
        return Verdict(False, f"process {pid} in cgroup {wanted}", f"{where} in /proc/{pid}/cgroup: {excerpt(listing)}")
    return Verdict(seen == wanted, f"process {pid} in cgroup {wanted}", f"process {pid} in cgroup {seen}")
