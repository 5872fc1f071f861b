"""The one error hierarchy of lpic3: every failure a user can cause or meet is an ``Lpic3Error``.

Each carries a one-line message meant for the user and the exit status the command ends with.
``trainer.cli.main`` is the one place that prints them (``lpic3: <message>`` on stderr) and exits,
so commands raise instead of printing and returning numbers, and no command ends in a traceback.
Anything else that escapes is a bug: ``cli.main`` reports it in one line, leaves a crash note
(``trainer.crash``) and exits with ``INTERNAL``.
"""

from __future__ import annotations

USAGE = 2  # a wrong argument, file or target named on the command line
FAILED = 1  # the command ran and the answer is "no" (content errors, a failed check, a store fault)
CANNOT_RUN = 2  # a lab cannot run here (missing feature, unreachable target, not started)
INTERNAL = 70  # a bug in lpic3 (EX_SOFTWARE): a crash note says where


class Lpic3Error(Exception):
    """A failure with a message for the user (one line) and an exit status."""

    exit_code = FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = " ".join(message.split()) if "\n" in message else message


class UsageError(Lpic3Error):
    """A command line, path or file named by the user that cannot be used."""

    exit_code = USAGE


class StoreError(Lpic3Error):
    """The progress store cannot be used (no permission, no space, written by a newer lpic3, in use)."""


class TargetError(Lpic3Error):
    """A lab target that cannot be used: not reachable, not running, lacking what the lab needs."""

    exit_code = CANNOT_RUN


class SandboxError(Lpic3Error):
    """lpic3's sandbox VM cannot be built, started, reset or stopped."""
