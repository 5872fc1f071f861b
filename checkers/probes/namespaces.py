"""Namespaces: whether a process has its own namespaces (or shares another's), and named netns.

The links in /proc/PID/ns are read in the kernel view (``checkers.kernelfiles``): something mounted
over them fails the check as tampered. "The host" is the session's own shell there (``$LPIC3_CALLER``).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from checkers.kernelfiles import run_in_view
from checkers.probes.processes import PID_ARG, find_pid
from checkers.probes.registry import Arg, Verdict, probe
from checkers.shell import Shell

KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
_KIND = "|".join(KINDS)
_TYPES = Arg(str, help=f"comma-separated namespace types from {', '.join(KINDS)}", pattern=rf"({_KIND})(,({_KIND}))*")


def _links(shell: Shell, pids: Sequence[int | None], kinds: list[str]) -> list[dict[str, str]]:
    """For each of ``pids`` (None: the session's own shell), its namespace links (``uts:[4026531838]``),
    read in one command; a kind that cannot be read maps to ''."""
    places = [f"/proc/{pid if pid is not None else '$LPIC3_CALLER'}/ns/{k}" for pid in pids for k in kinds]
    reads = [place for place in places if "$" not in place]
    out = run_in_view(shell, " ; ".join(f"readlink {p} || echo -" for p in places), reads, merge=False).output.split()
    links = [v if v != "-" else "" for v in out] + [""] * len(places)
    return [dict(zip(kinds, links[i * len(kinds) : (i + 1) * len(kinds)], strict=True)) for i in range(len(pids))]


@probe(
    "ns.own",
    "a process has its own namespaces of the given types (not those of the target shell)",
    pid_cmd=PID_ARG,
    types=_TYPES,
)
def ns_own(shell: Shell, pid_cmd: str, types: str) -> Verdict:
    kinds = types.split(",")
    pid, why = find_pid(shell, pid_cmd)
    if pid is None:
        return Verdict(False, f"a process in new {types} namespaces", why)
    # "The host" is where the target's shell runs (PID 1 may live elsewhere, e.g. in a container).
    mine, host = _links(shell, [pid, None], kinds)
    unreadable = [k for k in kinds if not mine.get(k) or not host.get(k)]
    if unreadable:  # never pass on what could not be read
        return Verdict(
            False,
            f"process {pid} in new {types} namespaces",
            f"cannot read the {', '.join(unreadable)} namespace link(s) of process {pid} or of the shell",
        )
    shared = [k for k in kinds if mine.get(k) == host.get(k)]
    seen = ", ".join(f"{k}:[{mine.get(k, '?').split('[')[-1]}" for k in kinds)
    return Verdict(
        not shared,
        f"process {pid} in new {types} namespaces",
        f"still in the host's {', '.join(shared)} namespace(s): {seen}" if shared else seen,
    )


@probe(
    "ns.shared",
    "two processes share the namespaces of the given types",
    pid_cmd=PID_ARG,
    other_pid_cmd=PID_ARG,
    types=_TYPES,
)
def ns_shared(shell: Shell, pid_cmd: str, other_pid_cmd: str, types: str) -> Verdict:
    kinds = types.split(",")
    pid, why = find_pid(shell, pid_cmd)
    other, why_other = find_pid(shell, other_pid_cmd)
    if pid is None or other is None:
        return Verdict(False, f"two processes sharing {types} namespaces", why or why_other)
    a, b = _links(shell, [pid, other], kinds)
    unreadable = [k for k in kinds if not a.get(k) or not b.get(k)]
    if unreadable:
        return Verdict(
            False,
            f"processes {pid} and {other} share {types}",
            f"cannot read the {', '.join(unreadable)} namespace link(s)",
        )
    differ = [k for k in kinds if a.get(k) != b.get(k)]
    return Verdict(
        not differ,
        f"processes {pid} and {other} share {types}",
        f"they differ: {'; '.join(f'{a[k]} and {b[k]}' for k in differ)}" if differ else f"same {types} namespaces",
    )


@probe(
    "ns.netns",
    "a named network namespace exists (ip netns): a namespace of its own, mounted by nsfs",
    name=Arg(str, help="the namespace name"),
    present=Arg(bool, required=False, help="false: must not exist"),
)
def ns_netns(shell: Shell, name: str, present: bool = True) -> Verdict:
    """The name in ``ip netns list`` is only a file in /run/netns: a plain file there is listed too,
    and so is a bind of the host's own namespace (``ip netns attach NAME 1``). A present namespace
    must be an nsfs mount (what ``ip netns add`` makes: it holds a live namespace) of a network
    namespace that is not the host's (the session's shell, and PID 1 where it can be read)."""
    names = [line.split()[0] for line in shell.run("ip netns list").output.splitlines() if line.strip()]
    wanted = f"netns {name} {'exists, a network namespace of its own' if present else 'absent'}"
    listed = f"netns list: {', '.join(names) or 'empty'}"
    if name not in names or not present:
        return Verdict((name in names) == present, wanted, listed)
    path = shlex.quote(f"/run/netns/{name}")
    stat = shell.run(f"stat -f -c %T {path} && stat -L -c %i {path}", merge=False).output.split()
    fs, inode = [*stat, "", ""][:2]
    if fs != "nsfs":
        return Verdict(False, wanted, f"/run/netns/{name} is a plain file on {fs or 'nothing'}, not a namespace")
    own, host = (links["net"] for links in _links(shell, [None, 1], ["net"]))
    hosts = {link.strip("net:[]") for link in (own, host) if link}
    if not own or inode in hosts:
        why = "cannot read the host's network namespace" if not own else f"the host's own (net:[{inode}])"
        return Verdict(False, wanted, f"/run/netns/{name} is {why}")
    return Verdict(True, wanted, f"{listed}; {name} is net:[{inode}], not the host's")
