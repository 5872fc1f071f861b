"""Problems found in content: one per line of output, always naming a file and a line."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from trainer.curriculum.quoting import printable
from trainer.errors import Lpic3Error


class Severity(StrEnum):
    """How bad a problem is. ``error`` fails ``lint``; ``warning`` fails only ``lint --strict``;
    ``note`` never fails (a term with no lab: not every term can be practised hands-on)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the content, where it is, and which objective it concerns (if known)."""

    path: Path
    line: int
    severity: Severity
    message: str
    objective: str | None = None

    def shown_path(self, root: Path | None = None) -> Path:
        """The path relative to ``root`` when it lies inside it (shorter messages), else as it is."""
        if root is not None:
            with suppress(ValueError):
                return self.path.relative_to(root)
        return self.path

    def format(self, root: Path | None = None) -> str:
        """``file:line: severity: message``, with the path relative to ``root`` when possible, and
        control characters (from a file name or a quoted value) shown as escapes: one line, no
        terminal tricks."""
        shown = self.shown_path(root)
        where = f"{shown}:{self.line}" if self.line else str(shown)
        return printable(f"{where}: {self.severity.value}: {self.message}")

    def to_json(self, root: Path | None = None) -> dict[str, object]:
        return {
            "file": str(self.shown_path(root)),
            "line": self.line,
            "severity": self.severity.value,
            "message": self.message,
            "objective": self.objective,
        }


class ContentError(Lpic3Error):
    """Content that cannot be used. The loader's only exception: it always carries a Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem
