"""Private folders: where lpic3 keeps what nobody else may touch (SSH control sockets, the KVM
verdict, a lab attempt's working folder), created so that a planted symlink or a folder someone
else made is refused instead of followed.

The rule, the same in Python (for folders on this machine) and in shell (for folders on a lab
target, which may be another machine): ``mkdir`` with mode 0700 (it never follows a symlink: a
link in the way makes it fail), then look at what is there without following links, and use it
only if it is a real directory, owned by the current user, with mode 0700. Anything else is
refused with one line that names the path. Root's folders are ``/run/lpic3`` (sockets) and
``/var/lib/lpic3`` (lasting state, lab attempts), never a predictable name in a world-writable
folder such as ``/tmp`` or ``/var/tmp``.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from checkers.shell import Shell

ROOT_RUNTIME = Path("/run/lpic3")
ROOT_STATE = "/var/lib/lpic3"
LAB_ROOT = f"{ROOT_STATE}/labs"  # root's lab attempts, one private folder each


class PrivateDirError(OSError):
    """A private folder that cannot be made or is not private (a symlink, someone else's, too open)."""


def private_dir(path: Path) -> Path:
    """``path`` as a private folder of the current user: made (mode 0700) when missing, refused when
    what is there is not a real directory of this user with mode 0700. Missing parents are made
    too (mode 0700); they are the user's own folders (``/run``, ``$XDG_RUNTIME_DIR``, home)."""
    try:
        os.makedirs(path.parent, mode=0o700, exist_ok=True)
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise PrivateDirError(f"cannot create the private folder {path}: {exc.strerror}") from None
    info = os.lstat(path)
    problem = ""
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        problem = "is not a directory"
    elif info.st_uid != os.geteuid():
        problem = f"belongs to uid {info.st_uid}, not {os.geteuid()}"
    elif stat.S_IMODE(info.st_mode) != 0o700:
        problem = f"has mode {stat.S_IMODE(info.st_mode):04o}, not 0700"
    if problem:
        raise PrivateDirError(f"refusing to use {path}: it {problem} (lpic3 keeps private files there; remove it)")
    return path


def runtime_dir() -> Path:
    """lpic3's private folder for sockets on this machine: ``/run/lpic3`` for root, else
    ``$XDG_RUNTIME_DIR/lpic3`` (a per-user tmpfs) or, without one, under the user's state folder."""
    if os.geteuid() == 0:
        return private_dir(ROOT_RUNTIME)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_absolute():
        return private_dir(Path(runtime) / "lpic3")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return private_dir(Path(state) / "lpic3" / "run")


# The same rule in shell, for a target: `lpic3_private DIR` makes DIR private or refuses it (status 1,
# one line on stderr); `lpic3_state` prints the target user's own lpic3 folder, made private
# (/var/lib/lpic3 for root, ~/.local/state/lpic3 for anyone else: the XDG folder for state).
SHELL_FUNCTIONS = r"""
lpic3_private() {
    mkdir -m 0700 -- "$1" 2>/dev/null
    if [ -L "$1" ] || [ ! -d "$1" ] || [ "$(stat -c %u:%a -- "$1")" != "$(id -u):700" ]; then
        echo "lpic3: refusing to use $1: not a private folder (a real directory of uid $(id -u), mode 0700)" >&2
        return 1
    fi
}
lpic3_state() {
    if [ "$(id -u)" = 0 ]; then set -- __ROOT_STATE__
    else set -- "$(getent passwd "$(id -u)" | cut -d: -f6)/.local/state/lpic3"; mkdir -p -- "${1%/*}" || return 1
    fi
    lpic3_private "$1" && printf '%s\n' "$1"
}
""".replace("__ROOT_STATE__", ROOT_STATE)


def make_workdir_script(workdir: str) -> str:
    """Shell text that makes a lab attempt's working folder on the target: its parent (the lab
    root) and the lpic3 folder above it private, the folder itself new (an existing one is an
    error: another attempt's, or planted) and private."""
    parent = os.path.dirname(workdir)
    grand = os.path.dirname(parent)
    return (
        SHELL_FUNCTIONS
        + f"lpic3_private {shlex.quote(grand)} && lpic3_private {shlex.quote(parent)} || exit 1\n"
        + f"mkdir -m 0700 -- {shlex.quote(workdir)} || exit 1\n"
    )


def remove_workdir_script(workdir: str) -> str:
    """Shell text that removes a lab attempt's working folder and what is in it (``rm -rf`` does not
    follow symlinks inside it, and the folder's parent is private, so nobody can swap it)."""
    return f"rm -rf -- {shlex.quote(workdir)}\n"


def lab_root(shell: Shell) -> str:
    """The private folder that holds the lab attempts of the user the target's shell runs as:
    ``/var/lib/lpic3/labs`` for root, ``~/.local/state/lpic3/labs`` for anyone else."""
    result = shell.run(SHELL_FUNCTIONS + 'd=$(lpic3_state) && lpic3_private "$d/labs" && echo "$d/labs"', merge=False)
    if result.status != 0:
        why = (result.errors.strip().splitlines() or [f"exit {result.status}"])[-1].removeprefix("lpic3: ")
        raise PrivateDirError(f"no private folder for lab attempts on the target: {why}")
    return result.output.strip()
