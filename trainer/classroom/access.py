"""How lpic3 reaches a student machine: an ``ssh://`` lab target built from its inventory entry,
with the class's own known_hosts.

The lab service's SSH target checks host keys strictly and reuses one kept-open connection per
machine (ControlMaster). For a class, the keys are lpic3's business, not the instructor's personal
``~/.ssh/known_hosts``: the class keeps its own ``known_hosts`` in the data folder
(``class/known_hosts``). The first contact with a machine records its key (read with
``ssh-keyscan``, trust on first use, as an instructor adding lab VMs would), and from then on a
machine that shows another key is refused by ssh and gets its own row saying so, with the command
that forgets the old key once the instructor knows the machine was rebuilt.

Each machine gets a small ssh configuration file of its own (``class/ssh/NAME.conf``: the known_hosts,
the inventory's key file, keep-alives that notice a machine that stops answering), which the target's
``ssh -F`` reads instead of the instructor's ``~/.ssh/config``.

Rows: ``describe_failure`` turns what ssh or the lab service said into the row a student's machine
gets (unreachable, no answer, host key changed, login refused, cannot run).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

from checkers.targets import Target, ssh_target
from trainer.classroom.inventory import Student
from trainer.errors import TargetError
from trainer.paths import private_data_dir, user_data_dir

UNREACHABLE, NO_ANSWER, HOST_KEY, LOGIN, CANNOT_RUN, NOT_STARTED = (
    "unreachable",
    "no answer",
    "host key changed",
    "login refused",
    "cannot run",
    "not started",
)
_UNREACHABLE = re.compile(
    r"Connection refused|No route to host|Connection timed out|Network is unreachable|"
    r"Could not resolve hostname|Name or service not known|Connection reset|Connection closed by remote host"
)
_HOST_KEY = re.compile(r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed")
_LOGIN = re.compile(r"Permission denied \(|Too many authentication failures")  # ssh's, not a command's
_NO_ANSWER = re.compile(r"no shell answered|no answer from|stopped on request|did not start its kernel view")
_NAME = re.compile(r"[^A-Za-z0-9._-]")


class Unreachable(TargetError):
    """The machine did not take a connection at all (refused, no route, timed out)."""


class NoAnswer(TargetError):
    """The machine took the connection but its SSH server did not answer within the time allowed."""


def class_folder() -> Path:
    """The instructor's class folder inside lpic3's data folder (known_hosts, ssh configs)."""
    return private_data_dir(user_data_dir() / "class")


class ClassAccess:
    """The ssh targets of a class's machines, sharing one known_hosts file."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or class_folder()
        self.known_hosts = self.folder / "known_hosts"
        self.configs = private_data_dir(self.folder / "ssh")
        self._lock = threading.Lock()  # first contacts from several threads append to one file

    def target(self, student: Student) -> Target:
        """The lab target for ``student``'s machine (its ssh configuration file written first)."""
        config = self.configs / f"{_NAME.sub('_', student.name)}.conf"
        lines = [
            "Host *",
            f"  UserKnownHostsFile {_quoted(str(self.known_hosts))}",
            "  GlobalKnownHostsFile /dev/null",
            "  HashKnownHosts no",
            "  ServerAliveInterval 5",
            "  ServerAliveCountMax 2",
        ]
        if student.key_file:
            lines += [f"  IdentityFile {_quoted(student.key_file)}", "  IdentitiesOnly yes"]
        _write_private(config, "\n".join(lines) + "\n")
        where = f"{student.user + '@' if student.user else ''}{student.host}:{student.port}"
        return ssh_target(
            student.spec, student.host, student.port, student.user, f"{student.name} ({where})", str(config)
        )

    def first_contact(self, student: Student, seconds: float) -> None:
        """Make sure the class knows ``student``'s host key: on first contact it is read with
        ssh-keyscan and recorded. Unreachable or NoAnswer when the machine cannot be asked."""
        name = _known_name(student.host, student.port)
        if self._knows(name):
            return
        deadline = time.monotonic() + seconds
        _reach(student, seconds)
        left = max(1, int(deadline - time.monotonic()))
        try:
            scanned = subprocess.run(
                ["/usr/bin/ssh-keyscan", "-T", str(left), "-p", str(student.port), "--", student.host],
                capture_output=True,
                text=True,
                timeout=left + 5,
                check=False,
            ).stdout
        except subprocess.TimeoutExpired:
            scanned = ""
        except OSError as exc:
            raise TargetError(f"cannot run ssh-keyscan for {student.name}: {exc.strerror or exc}") from None
        keys = [line.split(None, 1)[1] for line in scanned.splitlines() if line and not line.startswith("#")]
        if not keys:
            raise NoAnswer(
                f"{student.host}:{student.port} took the connection but its SSH server sent no host key "
                f"within {seconds:g} s"
            )
        with self._lock:
            if not self._knows(name):
                with open(self.known_hosts, "a", encoding="utf-8") as stream:
                    stream.writelines(f"{name} {key}\n" for key in keys)
                os.chmod(self.known_hosts, 0o600)

    def _knows(self, name: str) -> bool:
        try:
            text = self.known_hosts.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        return any(name in line.split(None, 1)[0].split(",") for line in text.splitlines() if line.strip())

    def forget_hint(self, student: Student) -> str:
        """The command that forgets a machine's recorded key (once the instructor knows it was rebuilt)."""
        return f"ssh-keygen -R '{_known_name(student.host, student.port)}' -f {self.known_hosts}"


def describe_failure(error: BaseException, student: Student, access: ClassAccess) -> tuple[str, str]:
    """The row for a machine where a lab operation failed: its status and one line saying why."""
    text = " ".join(str(getattr(error, "message", error)).split())
    if isinstance(error, Unreachable):
        return UNREACHABLE, text
    if isinstance(error, NoAnswer):
        return NO_ANSWER, text
    if _HOST_KEY.search(text):
        return HOST_KEY, (
            f"{student.host}:{student.port} shows a host key other than the one recorded on first contact "
            f"(a rebuilt machine, or another machine at its address); if it was rebuilt: {access.forget_hint(student)}"
        )
    if _LOGIN.search(text):
        return LOGIN, f"ssh login as {student.user or 'the current user'} was refused: {_ssh_line(text, _LOGIN)}"
    if _UNREACHABLE.search(text):
        return UNREACHABLE, _ssh_line(text, _UNREACHABLE)
    if _NO_ANSWER.search(text):
        return NO_ANSWER, text
    return CANNOT_RUN, text


def _ssh_line(text: str, pattern: re.Pattern[str]) -> str:
    """ssh's own sentence around what ``pattern`` found (the message holds the session's last output)."""
    found = pattern.search(text)
    if found is None:
        return text
    start = max(text.rfind("ssh:", 0, found.start()), 0)
    return text[start : found.end()].strip()


def _reach(student: Student, seconds: float) -> None:
    """A TCP connection to the machine's SSH port, so that a machine that is off says so at once."""
    try:
        with socket.create_connection((student.host, student.port), timeout=min(seconds, 10.0)):
            return
    except TimeoutError:
        raise Unreachable(f"{student.host}:{student.port}: no connection within {min(seconds, 10.0):g} s") from None
    except OSError as exc:
        raise Unreachable(f"{student.host}:{student.port}: {exc.strerror or exc}") from None


def _known_name(host: str, port: int) -> str:
    """How known_hosts names a machine: ``host`` on port 22, ``[host]:port`` on any other."""
    return host if port == 22 else f"[{host}]:{port}"


def _quoted(value: str) -> str:
    """A value for an ssh_config line (blanks need double quotes; a double quote cannot be written)."""
    if '"' in value or "\n" in value:
        raise TargetError(f"an ssh setting cannot hold quotes or line breaks: {value[:60]!r}")
    return f'"{value}"' if any(c.isspace() for c in value) else value


def _write_private(path: Path, text: str) -> None:
    """``text`` to ``path`` (0600) through a temporary file and a rename: ssh never reads half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
