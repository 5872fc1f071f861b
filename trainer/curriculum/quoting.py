"""Showing values from files in one-line messages: short, escaped, and never expanded.

Content files and answer sheets can hold anything: a 100,000-character string, a number with
50,000 digits, a list that aliases expand to a billion items, an escape sequence that repaints the
terminal. A message quotes at most ``LIMIT`` characters of any of them, names containers instead
of printing them, and shows control characters as escapes.
"""

from __future__ import annotations

import re

LIMIT = 60  # characters of a value a message quotes

# C0 and C1 controls and DEL; a text field may hold only newline and tab of these.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every character ``repr`` would escape (controls, newline and tab too, line and
    paragraph separators, unassigned code points) shown as an escape, so one message stays one
    line and cannot move the cursor or change colours."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shorten(text: str, limit: int = LIMIT) -> str:
    """At most ``limit`` characters of ``text``, with an ellipsis when something was left out."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(value: object, limit: int = LIMIT) -> str:
    """A value as a message may show it: strings quoted (repr, cut to ``limit``), numbers as
    digits (or their count when long), lists and mappings by kind and size only."""
    if isinstance(value, str):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 3 * limit:  # str() of a huge int is slow, and refused past 4,300 digits
            return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
        return shorten(str(value), limit)
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key{'s' if len(value) != 1 else ''}"
    return shorten(printable(repr(value)), limit)
