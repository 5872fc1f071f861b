"""Matchers: how a check judges the value a probe observed (goss's model: the probe says what it saw,
the matcher says whether that is what the task asked for).

A probe that reads one value (a key of ``docker inspect``, of ``qemu-img info``, of a JSON output, of
a config file) takes exactly one matcher among its arguments:

- ``equals: TEXT``: the value, as text (numbers, booleans and null as JSON writes them), is TEXT;
- ``matches: REGEX``: the value as text matches REGEX in full (a lab's values in it match themselves);
- ``contains: TEXT``: a list has an item equal to TEXT, a map has the key TEXT, a text holds TEXT;
- ``contains: {KEY: TEXT, ...}``: a list has a map item (a map is itself one) with at least these
  keys and values, as text (a mount with this source and destination, whatever else it has);
- ``absent: true``: the key is not there at all (``absent: false``: it is, whatever its value).

Each spelling a tool treats as equal is then the lab's to allow with ``matches`` (a trailing slash,
an optional group), not a regular expression over a whole command's output, and every verdict reads
alike: expected "KEY <matcher>", seen "KEY = <value>" ("KEY = absent" when it is not there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from checkers.probes.values import MISSING, as_text

MATCH_KINDS = ("equals", "matches", "contains", "absent")


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # one of MATCH_KINDS
    operand: object  # text; a regular expression; text or a map of text; a boolean

    @classmethod
    def of(cls, given: Mapping[str, object]) -> Match:
        """The one matcher among a check's arguments (the linter made sure there is exactly one)."""
        (kind,) = [k for k in MATCH_KINDS if given.get(k) is not None]
        return cls(kind, given[kind])

    def describe(self) -> str:
        """What the matcher asks for, after the key it is about: '= x', 'matching /r/', 'containing x'."""
        if self.kind == "equals":
            return f"= {self.operand}"
        if self.kind == "matches":
            return f"matching /{self.operand}/"
        if self.kind == "contains":
            return f"containing {as_text(self.operand)}"
        return "absent" if self.operand else "present"

    def judge(self, found: object) -> bool:
        """Whether ``found`` (MISSING when the key is not there) is what the matcher asks for."""
        if self.kind == "absent":
            return (found is MISSING) == bool(self.operand)
        if found is MISSING:
            return False
        if self.kind == "equals":
            return as_text(found) == self.operand
        if self.kind == "matches":
            return re.fullmatch(str(self.operand), as_text(found)) is not None
        return _contains(found, self.operand)


def _contains(found: object, wanted: object) -> bool:
    if isinstance(wanted, Mapping):
        items = found if isinstance(found, list) else [found]
        return any(isinstance(item, dict) and _has(item, wanted) for item in items)
    if isinstance(found, list):
        return any(as_text(item) == wanted for item in found)
    if isinstance(found, dict):
        return wanted in found
    return str(wanted) in as_text(found)


def _has(item: dict[str, object], wanted: Mapping[object, object]) -> bool:
    return all(key in item and as_text(item[key]) == as_text(value) for key, value in wanted.items())


def matcher_problems(given: Mapping[str, object]) -> list[str]:
    """What is wrong with the matcher arguments of a check (the linter's part): exactly one, and a
    ``contains`` map holds text only."""
    named = [k for k in MATCH_KINDS if k in given]
    if len(named) != 1:
        return [f"needs exactly one of {', '.join(MATCH_KINDS)} (found {', '.join(named) or 'none'})"]
    operand = given[named[0]]
    if named == ["equals"] and operand == "absent":
        return ["equals: absent compares with the text 'absent'; a key that is not there is absent: true"]
    if isinstance(operand, Mapping) and not all(
        isinstance(k, str) and isinstance(v, str | int | bool) for k, v in operand.items()
    ):
        return ["contains: a map's keys and values must be text"]
    return []
