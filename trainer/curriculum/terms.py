"""Matching official terms: in lesson text (as whole words) and in ``terms:`` lists (by name or alias)."""

from __future__ import annotations

from functools import lru_cache

from trainer.curriculum.model import Objective, Term


def _wordish(char: str) -> bool:
    return char.isalnum() or char in "_-"


def mentions(folded_text: str, spelling: str) -> bool:
    """Whether ``folded_text`` (already casefolded) holds ``spelling`` as a whole word.

    'qemu' is not found inside 'qemu-img' or 'qemuctl'; a boundary is checked only where the spelling
    itself starts or ends with a word character, so '/etc/xen/' matches in '/etc/xen/xl.cfg'.
    Plain ``str.find`` rather than a regular expression: lint runs this for every term of every lesson.
    """
    needle = spelling.casefold()
    check_start, check_end = _wordish(needle[0]), _wordish(needle[-1])
    at = folded_text.find(needle)
    while at != -1:
        end = at + len(needle)
        if (not check_start or at == 0 or not _wordish(folded_text[at - 1])) and (
            not check_end or end == len(folded_text) or not _wordish(folded_text[end])
        ):
            return True
        at = folded_text.find(needle, at + 1)
    return False


def mentioned(term: Term, folded_text: str) -> bool:
    """Whether ``folded_text`` (casefolded) mentions ``term`` or one of its aliases."""
    return any(mentions(folded_text, s) for s in term.spellings)


@lru_cache(maxsize=64)
def term_index(objective: Objective) -> dict[str, str]:
    """Every spelling of every term of ``objective``, casefolded, mapped to the official text."""
    index: dict[str, str] = {}
    for term in objective.terms:
        for spelling in term.spellings:
            index.setdefault(spelling.casefold(), term.text)
    return index
