"""Matching official terms: in lesson text (as whole words) and in ``terms:`` lists (by name or alias)."""

from __future__ import annotations

import re
from functools import lru_cache

from trainer.curriculum.model import Objective, Term

# A term counts only as a whole word: 'qemu' must not be found inside 'qemu-img' or 'qemuctl'.
_WORDISH = r"[\w-]"


@lru_cache(maxsize=1024)
def spelling_pattern(spelling: str) -> re.Pattern[str]:
    """A case-insensitive pattern for ``spelling``, bounded where the spelling starts or ends in a word
    character (a path such as ``/etc/xen/`` may be followed directly by a file name)."""
    start = rf"(?<!{_WORDISH})" if re.match(r"\w", spelling) else ""
    end = rf"(?!{_WORDISH})" if re.search(r"\w$", spelling) else ""
    return re.compile(start + re.escape(spelling) + end, re.IGNORECASE)


def mentioned(term: Term, text: str) -> bool:
    """Whether ``text`` mentions ``term`` or one of its aliases."""
    return any(spelling_pattern(s).search(text) for s in term.spellings)


def term_index(objective: Objective) -> dict[str, str]:
    """Every spelling of every term of ``objective``, folded to lower case, mapped to the official text."""
    index: dict[str, str] = {}
    for term in objective.terms:
        for spelling in term.spellings:
            index.setdefault(spelling.casefold(), term.text)
    return index
