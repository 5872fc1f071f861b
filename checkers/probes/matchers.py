"""Matchers: how a check judges the value a probe observed (goss's model: the probe says what it saw,
the matcher says whether that is what the task asked for).

A probe that reads one value (a key of ``docker inspect``, of ``qemu-img info``, of a JSON output, of
a config file) takes exactly one matcher among its arguments:

- ``equals: TEXT``: the value, as text (numbers, booleans and null as JSON writes them), is TEXT;
- ``matches: REGEX``: the value as text matches REGEX in full (a lab's values in it match themselves);
- ``contains: TEXT``: a list has an item equal to TEXT, a map has the key TEXT, a text holds TEXT;
- ``contains: {KEY: TEXT, ...}``: a list has a map item (a map is itself one) with at least these
  keys and values, as text (a mount with this source and destination, whatever else it has);
- ``absent: true``: the key is not there at all (``absent: false``: it is, whatever its value);
- ``has_keys: [KEY, ...]``: the value is a map with at least these keys;
- ``between: [LOW, HIGH]``: the value is a number from LOW to HIGH, both included;
- ``all: [MATCHER, ...]``, ``any: [MATCHER, ...]``, ``not: MATCHER``: each MATCHER a map holding one
  of these (``not`` holds for a key that is not there: add ``absent: false`` under ``all`` to ask
  for the key).

Each spelling a tool treats as equal is then the lab's to allow with ``matches`` (a trailing slash,
an optional group), not a regular expression over a whole command's output, and every verdict reads
alike: expected "KEY <matcher>", seen "KEY = <value>" ("KEY = absent" when it is not there).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from checkers.probes.values import MISSING, as_text

# Each matcher and the YAML type of what it takes (the registry's argument kinds come from here).
OPERANDS: dict[str, type | tuple[type, ...]] = {
    "equals": str,
    "matches": str,
    "contains": (str, dict),
    "absent": bool,
    "has_keys": list,
    "between": list,
    "all": list,
    "any": list,
    "not": dict,
}
MATCH_KINDS = tuple(OPERANDS)
Same = Callable[[str, str], bool]  # a probe's equality of what it saw and what a check asks for
_TYPE_NAMES = {str: "text", bool: "true or false", list: "a list", dict: "a map", (str, dict): "text or a map"}


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
        if self.kind == "contains":  # a map's keys in the lab's order, as its seen values are listed
            return f"containing {json.dumps(self.operand) if isinstance(self.operand, dict) else self.operand}"
        if self.kind == "absent":
            return "absent" if self.operand else "present"
        if self.kind == "has_keys":
            return "with keys " + ", ".join(map(as_text, _listed(self.operand)))
        if self.kind == "between":
            low, high = _listed(self.operand)
            return f"between {low} and {high}"
        if self.kind == "not":
            return f"not {self._inner()[0].describe()}"
        joined = f" {'and' if self.kind == 'all' else 'or'} ".join(m.describe() for m in self._inner())
        return f"({joined})"

    def judge(self, found: object, same: Same | None = None) -> bool:
        """Whether ``found`` (MISSING when the key is not there) is what the matcher asks for. ``same``
        is the probe's own equality for ``equals``, where its tool reads several spellings as one
        value (a size: 256M and 268435456); without it, equal text."""
        if self.kind == "absent":
            return (found is MISSING) == bool(self.operand)
        if self.kind in ("all", "any", "not"):
            return self._combined(found, same)
        if found is MISSING:
            return False
        if self.kind == "equals":
            return same(as_text(found), str(self.operand)) if same else as_text(found) == self.operand
        if self.kind == "matches":
            return re.fullmatch(str(self.operand), as_text(found)) is not None
        if self.kind == "contains":
            return _contains(found, self.operand)
        if self.kind == "has_keys":
            return isinstance(found, dict) and all(as_text(key) in found for key in _listed(self.operand))
        if self.kind == "between":
            low, high = _listed(self.operand)
            number = _number(found)
            return number is not None and float(str(low)) <= number <= float(str(high))
        raise ValueError(f"unknown matcher {self.kind!r}")

    def _combined(self, found: object, same: Same | None) -> bool:
        """``all``, ``any`` and ``not``: they see the key even when it is not there (MISSING)."""
        verdicts = [m.judge(found, same) for m in self._inner()]
        if self.kind == "not":
            return not verdicts[0]
        return all(verdicts) if self.kind == "all" else any(verdicts)

    def _inner(self) -> list[Match]:
        """The matchers inside ``all``, ``any`` (a list of maps) or ``not`` (one map)."""
        maps = self.operand if isinstance(self.operand, list) else [self.operand]
        return [Match.of(m) for m in maps if isinstance(m, Mapping)]


def _number(found: object) -> float | None:
    """The value as a number (a JSON number, or text such as "512"); None when it is none."""
    if isinstance(found, bool):
        return None
    try:
        return float(as_text(found))
    except ValueError:
        return None


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


def matcher_problems(given: Mapping[str, object], nested: bool = False) -> list[str]:
    """What is wrong with the matcher arguments of a check (the linter's part): exactly one, each
    operand of its type (the registry types the top level; ``nested``: a map inside ``all``, ``any``
    or ``not``, which holds a matcher and nothing else)."""
    named = [k for k in MATCH_KINDS if k in given]
    strangers = [str(k) for k in given if k not in OPERANDS] if nested else []
    if strangers:
        return [f"{', '.join(strangers)} is not a matcher (matchers: {', '.join(MATCH_KINDS)})"]
    if len(named) != 1:
        return [f"needs exactly one of {', '.join(MATCH_KINDS)} (found {', '.join(named) or 'none'})"]
    kind = named[0]
    operand, wanted = given[kind], OPERANDS[kind]
    if not isinstance(operand, wanted) or (isinstance(operand, bool) and wanted is not bool):
        return [f"{kind} takes {_TYPE_NAMES[wanted]}"] if nested else []  # the registry said so
    return _operand_problems(kind, operand, nested)


def _operand_problems(kind: str, operand: object, nested: bool) -> list[str]:
    if kind == "equals" and operand == "absent":
        return ["equals: absent compares with the text 'absent'; a key that is not there is absent: true"]
    if kind == "matches" and nested:  # the registry compiles the top level's
        try:
            re.compile(str(operand))
        except re.error as exc:
            return [f"matches: not a valid regular expression: {exc}"]
    if (
        kind == "contains"
        and isinstance(operand, Mapping)
        and not all(isinstance(k, str) and isinstance(v, str | int | bool) for k, v in operand.items())
    ):
        return ["contains: a map's keys and values must be text"]
    if kind == "has_keys" and not (operand and all(isinstance(k, str) for k in _listed(operand))):
        return ["has_keys: a list of one or more keys, as text"]
    if kind == "between":
        bounds = _listed(operand)
        if len(bounds) != 2 or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
            return ["between: [LOW, HIGH], two numbers"]
        if float(str(bounds[0])) > float(str(bounds[1])):
            return [f"between: {bounds[0]} is more than {bounds[1]}"]
    if kind in ("all", "any"):
        items = _listed(operand)
        maps = [item for item in items if isinstance(item, Mapping)]
        if not items or len(maps) != len(items):
            return [f"{kind}: a list of one or more matchers, each a map such as {{equals: x}}"]
        return [problem for item in maps for problem in matcher_problems(item, nested=True)]
    if kind == "not" and isinstance(operand, Mapping):
        return matcher_problems(operand, nested=True)
    return []


def _listed(operand: object) -> list[object]:
    return list(operand) if isinstance(operand, list) else []
