"""Reading the kernel's own files: a fresh view of /proc and /sys, and what is mounted over them.

Why: a file bind-mounted over ``/proc/PID/status``, ``/proc/cpuinfo``, ``/proc/PID/cgroup`` or a
cgroup control file makes anything that reads it there (``cat``, ``ps``, ``lscpu``, ``lsns``,
``nsenter -t PID``) read a forgery. So a check that reads kernel state through a file does it in
the *kernel view*, and fails as tampered when something not the kernel's is mounted where it reads.

The view (design (b) of issue 12, ``docs/writing-labs.md`` says why it beats comparing with
``/proc/self/mountinfo`` before each read): when a session opens, its shell starts one helper,
``unshare --mount --propagation slave``, that mounts a fresh procfs on /proc, a fresh sysfs on
/sys and fresh cgroup hierarchies on /sys/fs/cgroup (v2, or v1 laid out the way systemd does,
from the kernel's own list in /proc/self/cgroup). Nothing the learner mounted in or under them,
before or after, is visible there: their mounts stay below the fresh ones, and mounts that
propagate later are put beneath the fresh ones by the kernel. The helper is a bash that reads
requests on a pipe, so a kernel read costs no new process: ``lpic3_kernel_view TOKEN COMMAND``
in the session's shell hands COMMAND to it; the helper runs it with the caller's stdout and
stderr (opened through the fresh ``/proc/CALLER/fd``), then prints a marker with the token and,
read from the fresh /proc, the caller's mount table and cgroups, and answers with the exit status.
``run_in_view`` judges that table (``problem``): a mount over a path the check read,
or anywhere in /proc and /sys for a command, that is not the kernel's own filesystem at its
place (a bind of another file, a tmpfs, a second cgroup mount deeper in a hierarchy ...) raises
``Tampered``, which ``checkers.probes.registry.run_probe`` turns into a FAIL that says so.

Where no view can be made (a target whose user is not root: it cannot make a mount namespace,
nor mount anything over /proc), the command runs in the session itself with the same report on
its own mount table. The view sees mounts that existed when the session opened, and later ones
only where the mount they land on is shared (``/run/netns`` is): a command in the view is about
kernel state, not about what the learner mounted (a lab that checks mounts runs its check
outside the view).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from checkers.shell import COMMAND_TIMEOUT, SCRIPT_TIMEOUT, CommandResult, Shell

PROC, SYS, CGROUP = "/proc", "/sys", "/sys/fs/cgroup"
WHOLE = (PROC, SYS)  # what a command in the view may read: anything in /proc and /sys
# Kernel filesystems that belong at a fixed place inside /proc or /sys (systemd mounts most of them).
OWN_PLACES = {
    "/proc/sys/fs/binfmt_misc": ("binfmt_misc", "autofs"),
    "/proc/fs/nfsd": ("nfsd",),
    "/sys/kernel/security": ("securityfs",),
    "/sys/kernel/debug": ("debugfs",),
    "/sys/kernel/tracing": ("tracefs",),
    "/sys/kernel/debug/tracing": ("tracefs",),
    "/sys/kernel/config": ("configfs",),
    "/sys/fs/fuse/connections": ("fusectl",),
    "/sys/fs/pstore": ("pstore",),
    "/sys/fs/bpf": ("bpf",),
    "/sys/fs/selinux": ("selinuxfs",),
    "/sys/firmware/efi/efivars": ("efivarfs",),
    # LXC's lxcfs, in a container: the container's own share of the machine (the view reads the kernel's).
    **{
        place: ("fuse.lxcfs",)
        for place in (
            *(f"/proc/{name}" for name in ("cpuinfo", "diskstats", "loadavg", "meminfo", "slabinfo", "stat")),
            *(f"/proc/{name}" for name in ("swaps", "uptime", "pressure/cpu", "pressure/io", "pressure/memory")),
            "/sys/devices/system/cpu",
            "/sys/devices/system/cpu/online",
        )
    },
}
FUNCTION = "lpic3_kernel_view"
MARK = "__LPIC3_KERNEL_VIEW_"
FD_IN, FD_OUT = 58, 59  # the session shell's ends of the pipes to the view and back
# The caller's stdout and stderr, where the view writes: not fds 1 and 2 themselves, which the
# builtin that writes the request points at the pipe for as long as it runs.
FD_STDOUT, FD_STDERR = 56, 57

# Lines about the caller: its mount table and its cgroups, each file read whole by a builtin (bash
# reads a file line by line a few bytes at a time, which costs milliseconds in /proc) and printed by
# one more; ``problem`` picks what it needs.
_MOUNTS = r"""__lpic3_mounts() {
  local L
  mapfile -t L </proc/"$1"/mountinfo && printf 'mount %s\n' "${L[@]}"
  mapfile -t L </proc/"$1"/cgroup && printf 'cgroup %s\n' "${L[@]}"
}"""

# In the session's shell: run $2 in the view (or here, when there is none), then the token's
# marker and what is mounted where the caller reads.
_CALL = (
    FUNCTION
    + r"""() {
  if [ "$__lpic3_view" = fresh ]; then
    trap '' PIPE
    exec @O1@>&1 @O2@>&2
    printf '%s\0%s\0%s\0' "$BASHPID" "$1" "$2" >&@IN@ 2>/dev/null && IFS= read -r __lpic3_ks <&@OUT@ &&
      return "$__lpic3_ks"
    printf 'lpic3: the kernel view of this session has ended\n' >&2
    return 125
  fi
  local LPIC3_CALLER=$BASHPID
  ( eval "$2" ) </dev/null
  set -- "$?" "$1"
  printf '\n%s%s\nview %s\n' @MARK@ "$2" "$__lpic3_view"
  __lpic3_mounts "$LPIC3_CALLER"
  return "$1"
}"""
)

# The helper, in its own mount namespace: fresh /proc, /sys and cgroups, then requests until EOF.
# (A procfs or sysfs cannot be mounted straight onto one of the same kind: a tmpfs goes between.)
_VIEW = r"""eval "$1"
__lpic3_at() {  # mount "${@:2}" on the new folder $1 (mount --mkdir: util-linux 2.35 and later)
  mount --mkdir "${@:2}" "$1" 2>/dev/null || { mkdir "$1" && mount "${@:2}" "$1"; }
}
__lpic3_fresh() {
  mount -t tmpfs lpic3 /proc && mount -t proc lpic3 /proc &&
    mount -t tmpfs lpic3 /sys && mount -t sysfs lpic3 /sys || return
  local n c p v1= o d
  while IFS=: read -r n c p; do [ "$n" = 0 ] || v1=1; done </proc/self/cgroup
  if [ -z "$v1" ]; then mount -t cgroup2 lpic3 /sys/fs/cgroup; return; fi
  mount -t tmpfs -o mode=755 lpic3 /sys/fs/cgroup || return
  while IFS=: read -r n c p; do
    if [ "$n" = 0 ]; then
      __lpic3_at /sys/fs/cgroup/unified -t cgroup2 lpic3 || :
      continue
    fi
    o=$c; case $c in name=*) o=none,$c ;; esac
    set -- "$c"; case $c in *,*) set -- "$c" ${c//,/ } ;; esac
    for d; do __lpic3_at "/sys/fs/cgroup/${d#name=}" -t cgroup -o "$o" lpic3 || return; done
  done </proc/self/cgroup
}
__why=$(__lpic3_fresh 2>&1) || { printf 'none: %s\n' "${__why%%$'\n'*}"; exit 0; }
printf 'fresh\n'
while IFS= read -r -d '' __p && IFS= read -r -d '' __k && IFS= read -r -d '' __c; do
  __s=1
  { ( LPIC3_CALLER=$__p; eval "$__c" ) </dev/null; __s=$?
    printf '\n%s%s\nview fresh\n' @MARK@ "$__k"; __lpic3_mounts "$__p"; } >>/proc/"$__p"/fd/@O1@ 2>>/proc/"$__p"/fd/@O2@
  printf '%s\n' "$__s"
done"""

# In the session's shell, once its tools are pinned: the view starts with them (and the session's
# functions), or the session says why there is none (a pty's shell announces a coprocess as a job
# on stderr, hence 2>/dev/null). The helper waits for a first byte, so that its pipes are taken over
# (a coprocess's own are gone as soon as it ends) before it can end. They close on exec (bash keeps
# a coprocess's flag on a copy): no program a command runs holds them, only a subshell would.
_START = r"""@MOUNTS@
@CALL@
__lpic3_view_start() {
  case $(type -t unshare) in
    file) exec unshare --mount --propagation slave -- "$BASH" --noprofile --norc -c "$1" lpic3-view "$2" 2>/dev/null ;;
    function) printf 'none: the real unshare is not trusted\n' ;;
    *) printf 'none: unshare is missing\n' ;;
  esac
}
{ coproc __LPIC3_VIEW {
  IFS= read -r -d '' __go &&
    __lpic3_view_start @VIEW@ "$(hash -l 2>/dev/null; declare -f; declare -p __lpic3_t 2>/dev/null)"
}; } 2>/dev/null
exec @IN@>&"${__LPIC3_VIEW[1]}" @OUT@<&"${__LPIC3_VIEW[0]}"
printf '\0' >&@IN@
IFS= read -r -t @WAIT@ __lpic3_view <&@OUT@ || __lpic3_view='none: no mount namespace could be made here'
[ "$__lpic3_view" = fresh ] || exec @IN@>&- @OUT@<&-
printf '%s\n' "$__lpic3_view"
"""


def _filled(text: str) -> str:
    for key, value in (("@IN@", FD_IN), ("@OUT@", FD_OUT), ("@O1@", FD_STDOUT), ("@O2@", FD_STDERR), ("@MARK@", MARK)):
        text = text.replace(key, str(value))
    return text


def start_command(wait: float = 20.0) -> str:
    """Shell text for the session's own shell (not a subshell: it keeps the helper and its pipes),
    sent once its tools are pinned. It prints ``fresh`` or ``none: <why>``."""
    return _filled(
        _START.replace("@MOUNTS@", _MOUNTS)
        .replace("@CALL@", _CALL)
        .replace("@VIEW@", shlex.quote(_VIEW))
        .replace("@WAIT@", str(max(1, round(wait))))
        .strip()
    )


# A lab's script must not keep the pipes to the view open in a daemon it starts (the view would
# outlive the session): ``ShellSession.run_script`` closes them with this.
CLOSE_PIPES = f"{FD_IN}>&- {FD_OUT}<&-"


class KernelViewProblem(Exception):
    """What a probe's read of kernel files says instead of what it saw; ``judged``: a FAIL, else
    "not judged"."""

    judged = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Tampered(KernelViewProblem):
    """Something not the kernel's is mounted where the check reads: the check fails, and says so."""

    judged = True


class NoView(KernelViewProblem):
    """The kernel view gave no answer (its helper ended, the mount table could not be read)."""


@dataclass(frozen=True, slots=True)
class Mount:
    """One line of /proc/PID/mountinfo, the fields that say what is seen where."""

    id: int
    parent: int
    root: str  # the folder of its filesystem that appears at ``point`` ('/' for the whole of it)
    point: str
    fstype: str


_ESCAPE = re.compile(r"\\([0-7]{3})")


def parse_mount(line: str) -> Mount | None:
    """``id parent major:minor root point options [optional fields] - fstype source super-options``."""
    fields = line.split()
    if len(fields) < 10 or "-" not in fields[6:] or not (fields[0].isdigit() and fields[1].isdigit()):
        return None
    fstype = fields[fields.index("-", 6) + 1]
    return Mount(int(fields[0]), int(fields[1]), _unescape(fields[3]), _unescape(fields[4]), fstype)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def _holds(folder: str, path: str) -> bool:
    """``path`` is ``folder`` or inside it."""
    return folder == "/" or path == folder or path.startswith(folder.rstrip("/") + "/")


def serving(mounts: Sequence[Mount], path: str) -> Mount | None:
    """The mount ``path`` is read from, found the way the kernel walks a path: from the root, into the
    first mount met on the way (the one on the shortest path; one stacked on a mount is its child at
    the same place, so the top of a stack wins and what it covers is never reached)."""
    ids = {m.id for m in mounts}
    children: dict[int, list[Mount]] = {}
    for m in mounts:
        children.setdefault(m.parent, []).append(m)
    current = next((m for m in mounts if m.point == "/" and m.parent not in ids), None)
    for _ in range(len(mounts)):
        if current is None:
            return None
        below = [m for m in children.get(current.id, []) if m.id != current.id and _holds(m.point, path)]
        if not below:
            return current
        first = min(len(m.point) for m in below)
        current = [m for m in below if len(m.point) == first][-1]
    return current


def _own(mount: Mount, stacked: bool, cgroups: Iterable[str], path: str | None) -> bool:
    """``mount`` is the kernel's own filesystem at its own place, showing what belongs there: procfs
    on /proc (or a part of it at the same place), sysfs on /sys, a cgroup hierarchy's root on
    /sys/fs/cgroup or one level below it, systemd's kernel filesystems. ``path``: the file read
    through it (a v1 host's tmpfs on /sys/fs/cgroup holds only the hierarchies' folders)."""
    if mount.fstype in OWN_PLACES.get(mount.point, ()):
        return True
    if _holds(CGROUP, mount.point):
        depth = mount.point[len(CGROUP) :].count("/")
        if mount.fstype in ("cgroup", "cgroup2"):
            return depth <= 1 and (mount.root == "/" or any(_holds(mount.root, c) for c in cgroups))
        within = path is None or path[len(CGROUP) :].count("/") <= 1
        return mount.fstype == "tmpfs" and depth == 0 and not stacked and within
    for base, fstype in ((PROC, "proc"), (SYS, "sysfs")):
        if _holds(base, mount.point):
            return mount.fstype == fstype and mount.root.rstrip("/") == mount.point[len(base) :]
    return False


def problem(mounts: Sequence[Mount], cgroups: Sequence[str], path: str) -> str:
    """What makes reading ``path`` (in /proc or /sys) untrustworthy in this mount table: the mount it
    is read from, or any mount inside it, that is not the kernel's own there; "" when none is."""
    top = serving(mounts, path)
    if top is None:
        raise NoView(f"the mount table read for {path} has no root: the kernel view could not read it")
    by_id = {m.id: m for m in mounts}

    def stacked(m: Mount) -> bool:
        below = by_id.get(m.parent)
        return below is not None and below.point == m.point

    suspects = [top] if not _own(top, stacked(top), cgroups, path) else []
    suspects += [
        m for m in mounts if m.point != path and _holds(path, m.point) and not _own(m, stacked(m), cgroups, None)
    ]
    if not suspects:
        return ""
    point = suspects[0].point
    if not _holds(PROC, point) and not _holds(SYS, point):  # /proc or /sys is not mounted at all
        return f"{path} is not on the kernel's own filesystem here ({top.fstype} on {top.point})"
    where = point if point == path or not _holds(point, path) else f"{point}, which holds {path}"
    return f"something is mounted over {where}: the check reads the kernel's state, not a file put there"


def kernel_command(command: str, token: str) -> str:
    """The text the session runs for ``command`` in the view."""
    return f"{FUNCTION} {token} {shlex.quote(command)}"


def run_in_view(
    shell: Shell, command: str, reads: Sequence[str], timeout: float = COMMAND_TIMEOUT, merge: bool = True
) -> CommandResult:
    """Run ``command`` in the kernel view: its result, as ``shell.run`` gives it. Raises
    ``Tampered`` when something not the kernel's is mounted over (or inside) any of ``reads``, the
    paths in /proc and /sys the command reads (``WHOLE`` for a command that may read anything
    there), and ``NoView`` when the view did not answer. A timed-out result is returned as it is."""
    token = secrets.token_hex(8)
    result = shell.run(kernel_command(command, token), timeout, merge)
    if result.timed_out:
        return result
    output, mark, report = result.output.rpartition(f"\n{MARK}{token}\n")
    if not mark:
        said = (result.errors or result.output).strip()[-200:]
        raise NoView(f"the kernel view gave no answer (exit status {result.status}{': ' + said if said else ''})")
    lines = report.splitlines()
    mounts = [m for line in lines if line.startswith("mount ") and (m := parse_mount(line[6:])) is not None]
    cgroups = [line.split(":", 2)[-1] for line in lines if line.startswith("cgroup ")]
    for path in reads:
        found = problem(mounts, cgroups, path)
        if found:
            raise Tampered(f"tampered: {found}")
    return dataclasses.replace(result, command=command, output=output)


def as_typed(command: str, output: str) -> tuple[str, str]:
    """A command the session ran in the view as a learner would type it, marked as run there, and its
    output without the view's report (for ``lpic3 lab check --explain``); any other command as it is."""
    words = command.split(" ", 2)
    if len(words) != 3 or words[0] != FUNCTION:
        return command, output
    try:
        (typed,) = shlex.split(words[2])
    except ValueError:
        return command, output
    before, mark, _ = output.rpartition(f"\n{MARK}{words[1]}\n")
    return f"{typed}  # in the kernel view", before if mark else output


class InView:
    """A ``Shell`` whose commands run in the kernel view, reading ``reads`` (see ``run_in_view``): a
    probe written for any shell (``command.status``) reads the kernel's files through it."""

    def __init__(self, shell: Shell, reads: Sequence[str] = WHOLE) -> None:
        self.shell, self.reads = shell, tuple(reads)

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT, merge: bool = True) -> CommandResult:
        return run_in_view(self.shell, command, self.reads, timeout, merge)

    def run_script(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> CommandResult:
        return self.shell.run_script(script, timeout)


def is_kernel_path(path: str) -> bool:
    """``path`` is in /proc or /sys: the kernel's files, read in the view."""
    return _holds(PROC, path) or _holds(SYS, path)
