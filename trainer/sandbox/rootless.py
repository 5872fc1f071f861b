"""Building the sandbox image without root, in a user namespace of the build's own.

A root file system is full of files owned by root and by system users, and a chroot needs
CAP_SYS_CHROOT: an ordinary user can have both inside a user namespace. The whole build runs as
the root of one made with ``unshare --map-root-user --map-auto``: that root is the user (what it
writes outside, the image and keys, is the user's), and the namespace's other IDs are the user's
subordinate range from /etc/subuid and /etc/subgid (newuidmap maps them), so ``_apt``, ``man``
and the rest own their files as in a root build. A pid namespace lets the chroots mount /proc.
Files the build left owned by those other IDs can only be deleted from such a namespace again
(``remove_tree``).
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from trainer.errors import SandboxError
from trainer.sandbox.progress import Bar, relayed

SUBORDINATE_IDS = (Path("/etc/subuid"), Path("/etc/subgid"))
IDS_NEEDED = 65536  # root plus every ID a Debian system uses, up to nobody (65534)
# The user namespace: its root is the user, its IDs 1-65535 the user's subordinate range.
USER_NAMESPACE = ["unshare", "--map-root-user", "--map-auto"]
# The build's namespaces: also a mount namespace (its mounts vanish with it) and a pid namespace
# (a chroot may mount /proc only there); the build dies with the unshare that started it.
BUILD_NAMESPACES = [*USER_NAMESPACE, "--mount", "--pid", "--fork", "--kill-child"]
ERROR_MARK = "lpic3-build-error: "  # how the build inside tells its one-line error from its progress
PROBE_SECONDS = 30.0
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def why_not() -> str | None:
    """What stops a rootless build on this machine, as one line that says what to do; None if
    nothing does."""
    for tool, package in (("mmdebstrap", "mmdebstrap"), ("newuidmap", "uidmap"), ("newgidmap", "uidmap")):
        if not shutil.which(tool):
            return f"{tool} is not installed (apt-get install {package})"
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"user ID {os.getuid()} has no name in /etc/passwd, so it can have no subordinate IDs"
    for path in SUBORDINATE_IDS:
        if _range_size(path, user, os.getuid()) < IDS_NEEDED:
            return (
                f"{path} gives {user} no range of {IDS_NEEDED} subordinate IDs (as root: usermod "
                f"--add-subuids 100000-165535 --add-subgids 100000-165535 {user}, with a range no one else has)"
            )
    # A plain user namespace first: where none may be made, unshare --map-auto leaves a helper
    # process behind that waits for one.
    for probe, what in ((["unshare", "--user", "--map-root-user"], "make user namespaces"),
                        (USER_NAMESPACE, "map its subordinate IDs in one (newuidmap)")):  # fmt: skip
        try:
            done = subprocess.run([*probe, "true"], capture_output=True, text=True, timeout=PROBE_SECONDS)
        except subprocess.TimeoutExpired:
            return f"{shlex.join(probe)} did not finish within {PROBE_SECONDS:.0f} s"
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            return f"this machine does not let {user} {what} ({said})"
    return None


def how_to_build() -> str:
    """How ``lpic3 sandbox build`` can make the image on this machine (``lpic3 doctor`` says it)."""
    if os.geteuid() == 0:
        return "as root"
    why = why_not()
    return "without root (in a user namespace, with your subordinate IDs)" if why is None else f"only as root: {why}"


def _range_size(path: Path, user: str, uid: int) -> int:
    """The size of the largest range ``path`` gives the user (by name or by number), 0 if none."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    sizes = [0]
    for line in lines:
        fields = line.strip().split(":")
        if len(fields) == 3 and fields[0] in (user, str(uid)) and fields[2].isdigit():
            sizes.append(int(fields[2]))
    return max(sizes)


def run_build(argv: list[str], say: Callable[[str], None], bar: Bar | None = None) -> None:
    """Run ``python argv`` (the build's entry point) inside the build's namespaces, its progress
    passed on to ``say`` line by line and to ``bar``; its one-line error is raised here as a
    SandboxError."""
    command = [*BUILD_NAMESPACES, "--", sys.executable, *argv]
    # An ordinary user's PATH has no sbin folders (Debian's /etc/profile), where mkfs.ext4 lives.
    path = os.environ.get("PATH", "/usr/bin:/bin").split(":")
    env = os.environ | {"PATH": ":".join([*path, *(d for d in SBIN if d not in path)])}
    error, last = "", ""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as child:
        try:
            assert child.stdout is not None
            for line in child.stdout:
                line = line.rstrip("\n")
                shown = relayed(line)
                if shown:
                    if bar:
                        bar(*shown)
                elif line.startswith(ERROR_MARK):
                    error = line.removeprefix(ERROR_MARK)
                elif line.strip():
                    last = line
                    say(line)
        finally:
            if child.poll() is None:  # interrupted here: the build (--kill-child) stops with unshare
                child.terminate()
            child.wait()
    if child.returncode != 0:
        raise SandboxError(error or f"the build in its user namespace stopped (exit {child.returncode}): {last}")


def remove_tree(path: Path) -> None:
    """Delete a tree a rootless build made: its files owned by the namespace's other IDs can only be
    deleted from inside such a namespace."""
    shutil.rmtree(path, ignore_errors=True)
    if path.exists() and os.geteuid() != 0 and why_not() is None:
        subprocess.run([*USER_NAMESPACE, "rm", "-rf", "--one-file-system", str(path)], capture_output=True, check=False)
    if path.exists():
        raise SandboxError(f"could not delete all of {path}: delete it as root")
