"""How an explanation names an option: only through a marker, ``{A}`` .. ``{H}``.

Options are shuffled for every attempt, so "C is wrong" in the file would name whatever option
happens to be shown third. A marker names the option at that position *in the file*; the study
engine (``trainer/study/explain.py``) turns it into the letter the learner sees. This module holds
the syntax and what the linter needs: where the markers are, and where a bare letter (or "the first
option") still names an option. Text inside Markdown code (`` `-A` ``, fenced blocks) never counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = re.compile(r"\{([A-H])\}")
CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)

# A capital letter standing alone, as a bare option reference would ("Ctrl+C", "-A", "B/s" do not).
_L = r"(?<![\w+\-/.'{])[A-H](?![\w'\-/+}])"
_M = r"(?:\{[A-H]\})"  # a marker, where a bare letter's neighbour may be one
_BARE = [
    re.compile(rf"\*\*{_L}\*\*"),  # **C** is right
    re.compile(rf"{_L}(?:\*\*)? (?:is|are|and|or)\b"),  # C is wrong, A and D are right
    re.compile(rf"(?:{_L}|{_M}), (?:\*\*)?{_L}|{_L}, (?:\*\*)?(?:{_L}|{_M})"),  # A, C and E
    re.compile(rf"(?:{_L}|{_M})(?:\*\*)?,? (?:and|or) (?:\*\*)?{_L}"),  # {C} and E
    re.compile(rf"\({_L}\)|{_L}(?:\*\*)? \("),  # (C), C (`-x`) ...
    re.compile(rf"\b[Oo]ptions? {_L}"),  # option C
    re.compile(r"^[ \t]*- (?:\*\*)?[B-H](?:\*\*)?(?![\w'\-/+}])", re.MULTILINE),  # - C would ...
    re.compile(r"^[ \t]*- (?:\*\*)?A(?:\*\*)?(?=:|,| \()", re.MULTILINE),  # - A: ...  (never an article)
    re.compile(r"\b(?:first|second|third|fourth|fifth|last) option\b", re.IGNORECASE),  # by position
]
# "- A <word>" is an article ("- A read-only mount ...") unless other items name options too.
_LIST_A = re.compile(r"^[ \t]*- (?:\*\*)?A(?:\*\*)? [a-z]", re.MULTILINE)
_LIST_OPTION = re.compile(r"^[ \t]*- (?:\*\*)?(?:\{[A-H]\}|[B-H](?![\w'\-/+}]))", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Reference:
    """A place in an explanation: ``line`` counts from 0 within the text; ``text`` is what is there."""

    line: int
    text: str


def mask_code(text: str) -> str:
    """``text`` with every code span and fenced block blanked out (newlines kept, so positions hold)."""
    return CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def markers(text: str) -> list[Reference]:
    """Every marker outside code, with the letter it names (``text`` is "A".."H")."""
    prose = mask_code(text)
    return [Reference(prose.count("\n", 0, m.start()), m.group(1)) for m in MARKER.finditer(prose)]


def bare_references(text: str) -> list[Reference]:
    """The first place on each line, outside code, that names an option without a marker: "C is
    wrong", "(B)", "option D", "- E ...", "A, C and E", "the first option". A heuristic: an article
    "A" is not one, except as a list item beside items that name options (then it is option A)."""
    prose = mask_code(text)
    found: dict[int, Reference] = {}
    for pattern in _BARE:
        for m in pattern.finditer(prose):
            found.setdefault(m.start(), Reference(prose.count("\n", 0, m.start()), m.group().strip()))
    if _LIST_OPTION.search(prose):
        for m in _LIST_A.finditer(prose):
            found.setdefault(m.start(), Reference(prose.count("\n", 0, m.start()), m.group().strip()))
    by_line: dict[int, Reference] = {}
    for start in sorted(found):
        by_line.setdefault(found[start].line, found[start])
    return list(by_line.values())
