"""A shell that remembers what it ran: the commands a check sent to the target and what each returned.

``lpic3 lab check --explain`` shows them (exam material: the real commands that read the state,
and how a learner sees why a verdict is what it is). The recorder wraps any ``Shell`` for the
duration of one check and costs nothing when it is not used: an unexplained check talks to its
session directly. What it keeps of each output is capped, so a chatty command cannot fill memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from checkers.kernelfiles import as_typed
from checkers.shell import COMMAND_TIMEOUT, SCRIPT_TIMEOUT, CommandResult, Shell

OUTPUT_LIMIT = 2000  # characters kept of a command's output (and of its stderr when apart)
SHOWN_LINES = 12  # lines of output ``Ran.lines`` shows


@dataclass(frozen=True, slots=True)
class Ran:
    """One command as the target ran it: its text, exit status, output (capped) and duration."""

    command: str
    status: int
    output: str
    errors: str
    seconds: float
    timed_out: bool
    refused: str = ""  # why the session would not trust the answer (an untrusted tool ...), as it said

    @classmethod
    def of(cls, result: CommandResult, seconds: float) -> Ran:
        command, output = as_typed(result.command, result.output)  # not the kernel view's own framing
        return cls(
            command,
            result.status,
            _capped(output),
            _capped(result.errors),
            seconds,
            result.timed_out,
            result.refused,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "command": self.command,
            "status": None if self.timed_out else self.status,
            "output": self.output,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "timed_out": self.timed_out,
            "refused": self.refused or None,
        }

    def lines(self) -> list[str]:
        """The command as a terminal shows it (``$`` first, ``>`` on continued lines), then what it
        returned: the exit status (or that no answer came) and up to ``SHOWN_LINES`` of output."""
        text = self.command.strip("\n").splitlines() or [""]
        shown = [f"$ {text[0]}", *(f"> {line}" for line in text[1:])]
        returned = "no answer in time" if self.timed_out else f"exit {self.status}"
        output = [line for part in (self.output, self.errors) for line in part.rstrip("\n").splitlines()]
        shown.append(
            f"  -> {returned} ({self.seconds:.2f} s)"
            + (f", not trusted: {self.refused}" if self.refused else "")
            + ("" if output else ", no output")
        )
        shown.extend(f"  | {line}" for line in output[:SHOWN_LINES])
        if len(output) > SHOWN_LINES:
            shown.append(f"  | [{len(output) - SHOWN_LINES} more line(s)]")
        return shown


def _capped(text: str) -> str:
    if len(text) <= OUTPUT_LIMIT:
        return text
    return text[:OUTPUT_LIMIT] + f"\n[{len(text) - OUTPUT_LIMIT} more characters]"


class Recorder:
    """A ``Shell`` that passes every command to ``shell`` and keeps what it returned, in order."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.ran: list[Ran] = []

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT, merge: bool = True) -> CommandResult:
        start = time.monotonic()
        result = self.shell.run(command, timeout, merge)
        self.ran.append(Ran.of(result, time.monotonic() - start))
        return result

    def run_script(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> CommandResult:
        start = time.monotonic()
        result = self.shell.run_script(script, timeout)
        self.ran.append(Ran.of(result, time.monotonic() - start))
        return result

    def take(self) -> tuple[Ran, ...]:
        """What was run since the last ``take``; the recorder starts a new list."""
        ran, self.ran = tuple(self.ran), []
        return ran
