"""The ``netns`` target's holder: the namespaces of one lab attempt, kept alive between commands.

A shell started with ``unshare`` takes its namespaces with it when it ends, so a hostname set by a
lab's setup would be gone by the time ``lpic3 lab check`` (a new process, a new shell) looks. A
holder keeps them: a small process started with ``unshare --fork --pid --mount-proc --uts --ipc
--net --mount`` that sleeps (a bash loop: as the namespace's PID 1 it also reaps the orphans a
lab's daemons leave). Every later shell enters it with ``nsenter -t PID --all``.

A PID alone is not an identity: the holder could have ended and the number gone to another
process. A holder is recorded as its PID and its start time (``/proc/PID/stat``, field 22, clock
ticks since boot) in a root-only folder, and is entered or stopped only while both still match.
Stopping it is a SIGKILL to the namespace's PID 1, which ends every process inside. Root only.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from checkers.privdir import private_dir, runtime_dir
from checkers.shell import CLEAN_ENV

UNSHARE = (
    "/usr/bin/unshare",
    "--fork",
    "--pid",
    "--mount-proc",
    "--uts",
    "--ipc",
    "--net",
    "--mount",
    "--propagation",
    "private",
)
# The holder itself: sleeps, and reaps whatever is orphaned inside (bash waits for any child).
SLEEPER = ("/bin/bash", "--noprofile", "--norc", "-c", "while :; do sleep 3600 & wait; done")
START_SECONDS = 5.0  # for unshare to fork the holder
STOP_SECONDS = 5.0  # for the holder to be gone after its SIGKILL
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,120}")


class HolderError(Exception):
    """A holder that cannot be started, found or stopped; the message names it."""


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    started: int  # clock ticks after boot, /proc/PID/stat field 22: with the PID, the process's identity

    @classmethod
    def start(cls) -> Holder:
        """A new holder, detached from this process (its own session; unshare is not our child, so
        nothing is left for this process to reap)."""
        script = shlex.join([*UNSHARE, *SLEEPER]) + " </dev/null >/dev/null 2>&1 & echo $!"
        try:
            shown = subprocess.run(
                ["/usr/bin/setsid", "/bin/sh", "-c", script],
                capture_output=True,
                text=True,
                timeout=START_SECONDS,
                cwd="/",
                env=CLEAN_ENV,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise HolderError(f"cannot start the namespace holder: {exc}") from None
        unshare = int(shown.strip())
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            children = _children(unshare)
            if children:
                holder = cls(children[0], _start_time(children[0]) or 0)
                if holder.alive():
                    return holder
            if _start_time(unshare) is None:
                break  # unshare ended: it could not make the namespaces
            time.sleep(0.02)
        raise HolderError("unshare did not start the namespace holder (it needs root and namespace support)")

    def alive(self) -> bool:
        """The recorded process still runs: same PID and same start time (not a reused number)."""
        return self.pid > 1 and _start_time(self.pid) == self.started

    def argv(self, command: Sequence[str], directory: str | None = None) -> list[str]:
        """``command`` run inside the holder's namespaces (in ``directory`` there, when given)."""
        wd = [f"--wd={directory}"] if directory else []
        return ["/usr/bin/nsenter", "-t", str(self.pid), "--all", *wd, "--", *command]

    def stop(self) -> None:
        """End the holder and everything inside its namespaces; nothing when it already ended.
        Only the recorded process is signalled, never PID 1 or a process that reuses its number."""
        if not self.alive():
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_SECONDS
        while self.alive():
            if time.monotonic() > deadline:
                raise HolderError(f"the namespace holder (process {self.pid}) did not end after SIGKILL")
            time.sleep(0.02)

    # -- the record: PID and start time in a root-only folder, one file per attempt ----------------
    def save(self, key: str) -> None:
        path = _record(key)
        part = path.with_name(path.name + ".part")
        part.write_text(f"{self.pid} {self.started}\n", encoding="ascii")
        part.replace(path)

    @classmethod
    def load(cls, key: str) -> Holder | None:
        """The holder recorded under ``key``, or None when none was (or the record is unreadable)."""
        try:
            pid, started = _record(key).read_text(encoding="ascii").split()
            return cls(int(pid), int(started))
        except (OSError, ValueError):
            return None

    @staticmethod
    def forget(key: str) -> None:
        _record(key).unlink(missing_ok=True)


def _record(key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise HolderError(f"no namespace holder can be named {key[:60]!r}")
    return private_dir(runtime_dir() / "netns") / key


def _start_time(pid: int) -> int | None:
    """The start time of process ``pid`` (field 22 of /proc/PID/stat), or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after the command name, which may hold anything
    return int(fields[19]) if len(fields) > 19 and fields[0] != "Z" else None


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found
