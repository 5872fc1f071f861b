"""What a probe needs from a target: run a shell command, get its exit status and output.

``checkers.session.ShellSession`` is the implementation (one persistent shell per lab run); the
protocol keeps probes independent of how commands reach the target (local, SSH, a namespace
sandbox, later the sandbox VM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

COMMAND_TIMEOUT = 60.0  # seconds one command may take on an unloaded target; sessions scale it for slow ones
SCRIPT_TIMEOUT = 300.0  # seconds for a lab's setup, reset or solution script, scaled alike
# Only the distribution's own directories: /usr/local and anything else a learner may write to never
# come first, so a wrapper named like a tool a check runs is never found (checkers/tools.py).
SYSTEM_PATH = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
CLEAN_ENV = {"PATH": ":".join(SYSTEM_PATH), "LC_ALL": "C"}


@dataclass(frozen=True, slots=True)
class CommandResult:
    command: str
    status: int
    output: str  # stdout and stderr together, or stdout alone when run with merge=False
    errors: str = ""  # stderr, when run with merge=False
    timed_out: bool = False  # no answer within the timeout: the status (124) and output say nothing of the state
    # Why this answer cannot be trusted, "" when it can: a tool it ran is missing or not the real one
    # ("the real getcap is missing: ..."), or /etc/ld.so.preload is set. Probes make it "not judged".
    refused: str = ""
    waited: float = 0.0  # seconds the session waited for the answer (the whole budget when it timed out)


class Shell(Protocol):
    def run(self, command: str, timeout: float = COMMAND_TIMEOUT, merge: bool = True) -> CommandResult:
        """Run ``command`` on the target. ``timed_out`` (and status 124): no answer in time. With
        ``merge=False`` stderr is kept apart (``errors``), for output that is parsed (JSON, XML) and
        must not carry warnings."""
        ...

    def run_script(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> CommandResult:
        """Run a multi-line script with ``set -e`` in a subshell, so it cannot change the session."""
        ...
