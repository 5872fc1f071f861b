"""What a probe needs from a target: run a shell command, get its exit status and output.

``checkers.session.ShellSession`` is the implementation (one persistent shell per lab run); the
protocol keeps probes independent of how commands reach the target (local, SSH, a namespace
sandbox, later the sandbox VM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}


@dataclass(frozen=True, slots=True)
class CommandResult:
    command: str
    status: int
    output: str  # stdout and stderr together, or stdout alone when run with merge=False
    errors: str = ""  # stderr, when run with merge=False


class Shell(Protocol):
    def run(self, command: str, timeout: float = 10.0, merge: bool = True) -> CommandResult:
        """Run ``command`` on the target. Status 124: it timed out. With ``merge=False`` stderr is kept
        apart (``errors``), for output that is parsed (JSON, XML) and must not carry warnings."""
        ...

    def run_script(self, script: str, timeout: float = 300.0) -> CommandResult:
        """Run a multi-line script with ``set -e`` in a subshell, so it cannot change the session."""
        ...
