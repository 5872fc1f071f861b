"""The real tools a check runs: each found once per session in the distribution's own directories and
trusted only when root alone can change it.

Why: a wrapper named ``virsh`` or ``getcap`` in /usr/local/bin, or anywhere else a learner can
write, would print whatever a check wants to see. So the session's PATH holds only ``SYSTEM_PATH``,
and when a session opens it finds each of ``TOOLS`` there (``find_command``, shell builtins only)
and has ``namei`` list the owner and mode of every step on the way to each file, symlinks followed
(``/usr/sbin/iptables -> /etc/alternatives/iptables -> ...``). A tool is trusted when every
directory and the file itself belong to root and neither group nor others may write them
(``judge``). ``pin_command`` then fixes each trusted tool's path in the shell's command table
(``hash -p``), so a wrapper that turns up later, even in the same directories, is never run; a
tool that is not trusted becomes a function that refuses to run and notes its name, and so does a
command missing altogether (bash's ``command_not_found_handle``). The session turns those notes
into ``CommandResult.refused``, and a probe into "not judged" with the reason: a check that cannot
run the real tool says so, never PASS or FAIL.

A lab's own scripts (setup, solution, reset) run in the same session: plain names reach the same
tools.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from checkers.shell import SYSTEM_PATH

# Every tool a probe (checkers/probes) or a lab's check runs by name; tests/test_real_tools.py
# proves that none is left out. namei is the one that inspects the others (util-linux). A program
# another program starts (``unshare ... sh -c 'mount ...'``) is found by that program in the clean
# PATH: folders only root may write to, or every answer is refused (``judge``).
TOOLS = (
    "awk",
    "cat",
    "cloud-init",
    "cut",
    "debugfs",  # reads a file inside an ext4 image, read-only, without libguestfs (351.5-sysprep-golden-image)
    "docker",
    "docker-compose",
    "find",
    "getcap",
    "grep",
    "head",
    "hostname",
    "ip",
    "isoinfo",  # reads a NoCloud seed ISO without mounting it (353.3-nocloud-seed; genisoimage)
    "lxc",  # LXD's client (lxd-client): `lxc query` and `lxc info` ask the daemon (352.2-lxd-container)
    "lxc-cgroup",
    "lxc-info",
    "mkdir",  # mkdir and mount: the kernel view's fresh /proc, /sys and cgroups (checkers/kernelfiles.py)
    "mount",
    "namei",
    "nsenter",
    "packer",
    "ping",
    "podman",
    "ps",
    "python3",
    "qemu-img",
    "readlink",
    "sed",
    "sha256sum",
    "sleep",  # a check that waits for Docker to judge a health check (352.3-healthcheck)
    "socat",
    "sort",
    "stat",
    "tr",
    "unshare",
    "virsh",
    "wc",
    "xen-create-image",
    "xl",
)

# One line per ``namei -m -o`` step: mode, owner, group, name; a symlink's target is indented two more.
_STEP = re.compile(r"^(?P<indent> *)(?P<mode>[-a-z?][-rwxsStT?]{9}) (?P<owner>\S+) +(?P<group>\S+) +(?P<name>\S.*)$")


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    path: str = ""  # where it was found in SYSTEM_PATH; "" when it is in none of them
    problem: str = ""  # why it is not trusted; "" when it is

    @property
    def trusted(self) -> bool:
        return bool(self.path) and not self.problem

    @property
    def refusal(self) -> str:
        """What a check that needed this tool says instead of a verdict."""
        if not self.path:
            return f"the real {self.name} is missing: it is in none of {', '.join(SYSTEM_PATH)}"
        return f"the real {self.name} is not trusted: {self.problem}"


def find_command(names: Iterable[str] = TOOLS) -> str:
    """Shell text that prints where each of ``names`` is found in SYSTEM_PATH, in PATH order, one path
    a line (a name found nowhere prints nothing). Builtins only: no process is started."""
    return (
        f"for __t in {' '.join(map(shlex.quote, names))}; do for __d in {' '.join(SYSTEM_PATH)}; do "
        'if [ -f "$__d/$__t" ] && [ -x "$__d/$__t" ]; then printf \'%s\\n\' "$__d/$__t"; break; fi; '
        "done; done"
    )


def namei_command(namei: str, paths: Sequence[str]) -> str:
    """``namei`` with modes and owners over the directories of SYSTEM_PATH and every path found, in one
    process."""
    return " ".join(map(shlex.quote, [namei, "-m", "-o", "--", *SYSTEM_PATH, *paths]))


def judge(found: Sequence[str], listing: str | None, names: Iterable[str] = TOOLS) -> tuple[dict[str, Tool], str]:
    """Each of ``names`` as found (``find_command``'s paths) and judged on ``namei_command``'s
    ``listing`` (None: there is no namei to ask), and what is wrong with SYSTEM_PATH's own
    directories ("" when nothing is: only root can put a file there)."""
    where = {posixpath.basename(path): path for path in found}
    if listing is None:
        unverified = "namei (util-linux) is not on the target, so who may change it cannot be read"
        return {n: Tool(n, where.get(n, ""), unverified if n in where else "") for n in names}, unverified
    problems = _problems(listing)
    tools = {}
    for name in names:
        path = where.get(name, "")
        tools[name] = Tool(name, path, problems.get(path, "it was not listed by namei") if path else "")
    listed = (problems.get(d, f"namei did not list {d}") for d in SYSTEM_PATH)
    return tools, "; ".join(dict.fromkeys(p for p in listed if p))  # /sbin -> usr/sbin: one problem, once


def _problems(listing: str) -> dict[str, str]:
    """``namei -m -o`` output read: each path it followed -> the first step anyone but root may
    change ("" when there is none)."""
    problems: dict[str, str] = {}
    path, problem = "", ""
    current: list[str] = []  # per symlink level: the folder reached so far
    for line in listing.splitlines():
        if line.startswith("f: "):
            if path:
                problems[path] = problem
            path, problem, current = line[3:], "", ["/"]
            continue
        if not path or problem:
            continue
        step = _STEP.match(line)
        if step is None:
            problem = f"namei could not follow it: {' '.join(line.split())}"
            continue
        level = max(len(step["indent"]) - 1, 0) // 2
        while len(current) > level + 1:  # back from a symlink's target: go on from where it led
            current[-2] = current.pop()
        name = step["name"].split(" -> ")[0]
        here = "/" if name == "/" else posixpath.join(current[level], name)
        problem = _untrusted(here, step["mode"], step["owner"], step["group"])
        if step["mode"][0] == "l":  # its target follows one level deeper, relative to the link's folder
            current.append(posixpath.dirname(here))
        elif step["mode"][0] == "d":
            current[level] = here
    if path:
        problems[path] = problem
    return problems


def _untrusted(path: str, mode: str, owner: str, group: str) -> str:
    """Why anyone but root may change ``path`` ("" when nobody can). A symlink cannot be changed in
    place (only replaced, which its folder decides), so only its folder and its target count."""
    if mode[0] == "l":
        return ""
    if owner != "root":
        return f"{path} belongs to {owner}, not root"
    if mode[8] == "w":
        return f"{path} is writable by every user ({mode})"
    if mode[5] == "w":
        return f"{path} is writable by group {group} ({mode})"
    return ""


def pin_command(tools: Iterable[Tool]) -> str:
    """Shell text that makes the session run exactly the tools judged: a trusted one by the path that
    was checked (``hash -p``: no PATH search, ever again), one that is not trusted refused by a
    function that notes its name in ``$__lpic3_t`` for the session to report."""
    lines = []
    for tool in tools:
        if tool.trusted:
            lines.append(f"hash -p {shlex.quote(tool.path)} {tool.name}")
        elif tool.path:
            lines.append(
                f"{tool.name}() {{ printf '%s\\n' {tool.name} >>\"$__lpic3_t\"; "
                f"printf '%s\\n' {shlex.quote(tool.refusal)} >&2; return 126; }}"
            )
    return "\n".join(lines) or ":"


# Defined once per session: a command found nowhere is noted like a refused tool, and fails as usual.
NOT_FOUND_HANDLER = (
    'command_not_found_handle() { printf \'%s\\n\' "$1" >>"$__lpic3_t"; '
    "printf '%s: command not found\\n' \"$1\" >&2; return 127; }"
)
