"""What a probe needs from a target: run one shell command, get its exit status and output.

The pexpect session of the lab runner and the one-shot ``SubprocessShell`` below both fit this
protocol, so probes do not care how the command reaches the target.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CommandResult:
    command: str
    status: int
    output: str


class Shell(Protocol):
    def run(self, command: str, timeout: float = 10.0) -> CommandResult:
        """Run ``command`` in a POSIX shell on the target; stdout and stderr together."""
        ...


CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}


class SubprocessShell:
    """One ``/bin/sh -c`` per command on this machine, with a clean environment (no learner aliases,
    functions or locale). For one-off checks; a lab run uses a session that stays open."""

    def run(self, command: str, timeout: float = 10.0) -> CommandResult:
        try:
            done = subprocess.run(
                ["/bin/sh", "-c", command],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=CLEAN_ENV,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode(errors="replace")
            return CommandResult(command, 124, out + f"\n[timed out after {timeout:g} s]")
        return CommandResult(command, done.returncode, done.stdout + done.stderr)
