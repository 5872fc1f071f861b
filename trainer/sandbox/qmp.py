"""A minimal QMP client: the sandbox talks to its QEMU through the QMP socket in its private folder.

QMP is QEMU's machine protocol (JSON lines on a UNIX socket): it is how the sandbox asks the guest
to power down, tells QEMU to quit, saves the machine's state and starts a restored machine. Only
what those need is here: the greeting, ``qmp_capabilities``, commands and their answers (the
asynchronous events QEMU sends in between are skipped). Every read has a deadline, so a QEMU that
does not answer is a ``QmpError``, never a hang.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any


class QmpError(Exception):
    """QEMU did not answer, closed the socket, or refused the command (the message says which)."""


class Qmp:
    def __init__(self, path: Path, seconds: float) -> None:
        """Connect and negotiate capabilities; each later answer is waited for at most ``seconds``."""
        self.seconds = seconds
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.buffer = b""
        try:
            self.sock.settimeout(seconds)
            self.sock.connect(str(path))
            self._read()  # the greeting
            self.execute("qmp_capabilities")
        except (OSError, QmpError) as exc:
            self.sock.close()
            raise QmpError(f"no QMP connection on {path} ({exc})") from None

    def __enter__(self) -> Qmp:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.sock.close()

    def execute(self, command: str, **arguments: Any) -> Any:
        """Run one command; returns its ``return`` value or raises its error as a QmpError."""
        message = {"execute": command, **({"arguments": arguments} if arguments else {})}
        try:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as exc:
            raise QmpError(f"{command}: QEMU closed its QMP socket ({exc})") from None
        while True:
            answer = self._read()
            if "return" in answer:
                return answer["return"]
            if "error" in answer:
                raise QmpError(f"{command}: {answer['error'].get('desc', answer['error'])}")

    def _read(self) -> dict[str, Any]:
        """The next JSON object QEMU sends (an event, a greeting or an answer)."""
        deadline = time.monotonic() + self.seconds
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpError(f"QEMU did not answer on QMP within {self.seconds:.0f} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                raise QmpError(f"QMP socket failed ({exc})") from None
            if not chunk:
                raise QmpError("QEMU closed its QMP socket")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            answer: dict[str, Any] = json.loads(line)
        except ValueError:
            raise QmpError(f"QEMU sent something that is not JSON: {line[:80]!r}") from None
        return answer
