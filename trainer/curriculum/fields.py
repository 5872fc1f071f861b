"""Typed, line-aware reading of one YAML mapping, collecting problems instead of stopping.

A linter is most useful when it reports every problem in a file at once, so a reader never raises:
it records a Problem at the line of the offending key and returns None, and ``ok`` tells the caller
whether the item can be built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainer.curriculum.problems import Problem, Severity
from trainer.curriculum.quoting import CONTROL, excerpt, shorten
from trainer.curriculum.yamlfile import LineList, LineMap

_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false", list: "a list", dict: "a mapping"}


class Fields:
    """Reads the fields of ``data`` (a mapping from ``path``) describing ``what`` (for messages)."""

    def __init__(
        self, data: LineMap, path: Path, what: str, problems: list[Problem], objective: str | None = None
    ) -> None:
        self.data, self.path, self.problems, self.objective = data, path, problems, objective
        self.what = shorten(what, 80)
        self.ok = True

    def problem(self, key: Any, message: str, severity: Severity = Severity.ERROR, line: int | None = None) -> None:
        """Record a problem at ``key``'s line (or ``line``)."""
        if severity is Severity.ERROR:
            self.ok = False
        at = line if line is not None else self.data.line_of(key)
        self.problems.append(Problem(self.path, at, severity, f"{self.what}: {message}", self.objective))

    def check_keys(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        """Report unknown keys (a typo would otherwise be silently ignored) and missing ones."""
        allowed = set(required) | set(optional)
        for key in self.data:
            if key not in allowed:
                self.problem(key, f"unknown field {excerpt(key)} (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in self.data:
                self.problem(None, f"missing field {key!r}", line=self.data.line)

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        """The value of ``key`` if it has type ``kind``; ``default`` if absent; None (and a problem) if wrong."""
        if key not in self.data:
            return default
        value = self.data[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.problem(key, f"{key!r} must be {_TYPE_NAMES[kind]}, not {_describe(value)}")
            return None
        return value

    def text(self, key: str, default: str | None = None) -> str | None:
        """A non-empty string field without control characters (newline and tab are text)."""
        value = self.get(key, str, default)
        if isinstance(value, str) and key in self.data and not value.strip():
            self.problem(key, f"{key!r} is empty")
            return None
        if isinstance(value, str) and not self.plain(key, value, repr(key)):
            return None
        return value

    def plain(self, key: str, value: str, what: str, line: int | None = None) -> bool:
        """Whether ``value`` is free of control characters; one that holds one (an escape sequence
        would repaint the learner's terminal) is a problem naming the first."""
        found = CONTROL.search(value)
        if found:
            self.problem(
                key,
                f"{what} holds the control character {found.group()!r} at character {found.start() + 1} "
                "(only newline and tab are allowed)",
                line=line,
            )
        return found is None

    def number(self, key: str, low: int, high: int) -> int | None:
        value = self.get(key, int)
        if value is not None and not low <= value <= high:
            self.problem(key, f"{key!r} must be from {low} to {high}, not {excerpt(value)}")
            return None
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key, bool, default)
        return default if value is None else value

    def strings(self, key: str, allow_empty: bool = True) -> tuple[str, ...] | None:
        """A list of non-empty strings; each bad item is reported at its own line."""
        value = self.get(key, list, LineList() if allow_empty else None)
        if value is None:
            return None
        if not value and not allow_empty:
            self.problem(key, f"{key!r} must not be empty")
            return None
        good = True
        for index, item in enumerate(value):
            line = value.line_of(index) if isinstance(value, LineList) else None
            if not isinstance(item, str) or not item.strip():
                hint = " (quote it)" if isinstance(item, bool | int | float) else ""
                self.problem(
                    key,
                    f"item {index + 1} of {key!r} must be a non-empty string, not {_describe(item)}{hint}",
                    line=line,
                )
                good = False
            elif not self.plain(key, item, f"item {index + 1} of {key!r}", line):
                good = False
        return tuple(value) if good else None

    def objective_id(self, key: str = "objective") -> str | None:
        """An objective id; an unquoted ``351.1`` arrives as a float and is accepted as the same id."""
        value = self.data.get(key)
        if isinstance(value, float):
            return repr(value)
        return self.text(key)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        shown = excerpt(value)
        return shown if shown.startswith("a number") else f"the number {shown}"
    if isinstance(value, str):
        return f"the string {excerpt(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
