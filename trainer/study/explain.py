"""An explanation as the learner sees it: every option it names carries the letter shown on screen.

The content names options only through markers (``{C}`` = the third option of the file, see
``trainer/curriculum/references.py``), and every attempt shuffles the options, so the markers are
resolved here for one shuffled item. Practice, review, the exam results and the printed key all
show explanations through ``explanation_for`` and nothing else, so none of them can show the file's
letters. Two things keep the text readable after shuffling: a coordination of markers ("{D} and
{B} are right") lists its letters in order, and a list whose every item starts with a marker (one
line per option, "- {C} is wrong: ...") is reordered to follow the options on screen.
"""

from __future__ import annotations

import re

from trainer.curriculum.questions import LETTERS
from trainer.curriculum.references import CODE, MARKER
from trainer.study.exam import ExamItem

# Markers joined by commas, "and" or "or", each optionally bold: "**{A}**, **{C}** and **{E}**".
_ONE = r"(?:\*\*)?\{[A-H]\}(?:\*\*)?"
_RUN = re.compile(rf"{_ONE}(?:(?:,?\s+(?:and|or)\s+|,\s+){_ONE})+")
_MARKED_ITEM = re.compile(r"- (?:\*\*)?\{[A-H]\}")  # a list item that starts by naming an option
_SHOWN_ITEM = re.compile(r"- (?:\*\*)?([A-H])")  # the same item after mapping


def explanation_for(item: ExamItem) -> str:
    """The item's explanation with each marker replaced by the letter its option has on screen."""
    shown = {LETTERS[index]: LETTERS[position] for position, index in enumerate(item.order)}
    text = item.question.explanation.strip()
    return _in_screen_order(text, _map_prose(text, shown))


def _map_prose(text: str, shown: dict[str, str]) -> str:
    """Resolve markers outside code; code (`` `{A}` ``, fenced blocks) stays as written.

    Only markers change, never a line break, so the result has the same lines as ``text``.
    """
    parts, last = [], 0
    for code in CODE.finditer(text):
        parts += [_map_markers(text[last : code.start()], shown), code.group()]
        last = code.end()
    return "".join([*parts, _map_markers(text[last:], shown)])


def _map_markers(prose: str, shown: dict[str, str]) -> str:
    def run(m: re.Match[str]) -> str:
        letters = iter(sorted(shown.get(letter, letter) for letter in MARKER.findall(m.group())))
        return MARKER.sub(lambda _: next(letters), m.group())

    return MARKER.sub(lambda m: shown.get(m.group(1), m.group()), _RUN.sub(run, prose))


def _in_screen_order(raw: str, mapped: str) -> str:
    """``mapped`` with each list whose items all start with a marker in ``raw`` sorted by screen letter.

    An item is a line starting with "- " and the indented lines after it; a list is a run of items.
    Lists that mix option items with other items keep the author's order.
    """
    raw_lines, lines = raw.split("\n"), mapped.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not raw_lines[i].startswith("- "):
            out.append(lines[i])
            i += 1
            continue
        items: list[range] = []
        while i < len(lines) and raw_lines[i].startswith("- "):
            end = i + 1
            while end < len(lines) and raw_lines[end][:1] in (" ", "\t") and raw_lines[end].strip():
                end += 1
            items.append(range(i, end))
            i = end
        if all(_MARKED_ITEM.match(raw_lines[r.start]) for r in items):
            items.sort(key=lambda r: _screen_letter(lines[r.start]))
        out += [lines[k] for r in items for k in r]
    return "\n".join(out)


def _screen_letter(line: str) -> str:
    """The letter an option item starts with on screen; after all letters if its marker named no option."""
    found = _SHOWN_ITEM.match(line)
    return found.group(1) if found else "~"
