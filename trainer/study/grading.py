"""Grading one answer. Single: exactly the right option. Multi: all and only the right options.
Fill: any accepted answer after normalisation, following the question's ``match`` rules.

Normalisation never makes a wrong answer right by accident: blanks are folded, case is ignored
only where the question says so, a leading directory is dropped only from the first word of a
command, and options are reordered only as whole units (an option keeps the value after it).
"""

from __future__ import annotations

import re
from collections import Counter

from trainer.curriculum.model import FillMatch, Question

Response = tuple[int, ...] | str


def grade(question: Question, response: Response | None) -> bool:
    """Whether ``response`` answers ``question``: option indices (in the file's order) or typed text."""
    if response is None:
        return False
    if question.type == "fill":
        return isinstance(response, str) and fill_matches(question, response)
    if isinstance(response, str):
        return False
    return sorted(set(response)) == sorted(question.answer) and len(response) == len(set(response))


def fill_matches(question: Question, typed: str) -> bool:
    for accepted in question.accept:
        wanted = _canonical(accepted, question.match, strip_directory=False)
        # A directory is dropped from the typed command only where the accepted one has none:
        # '/usr/bin/qemu-img' answers 'qemu-img', but 'daemon.json' never answers '/etc/docker/daemon.json'.
        strip = question.match.command and bool(wanted) and "/" not in wanted[0]
        if _same(_canonical(typed, question.match, strip), wanted, question.match):
            return True
    return False


def _canonical(text: str, match: FillMatch, strip_directory: bool) -> list[str]:
    """Tokens after folding blanks, case (if allowed), the command's directory and equivalent spellings."""
    text = text.strip()
    if match.ignore_case:
        text = text.casefold()
    tokens = text.split()
    if strip_directory and tokens and "/" in tokens[0] and not tokens[0].endswith("/"):
        tokens[0] = tokens[0].rsplit("/", 1)[1]
    if match.equivalent:
        canonical = {}
        for group in match.equivalent:
            for spelling in group:
                canonical[spelling.casefold() if match.ignore_case else spelling] = group[0]
        tokens = [canonical.get(t, t) for t in tokens]
    return tokens


def _same(given: list[str], accepted: list[str], match: FillMatch) -> bool:
    if given == accepted:
        return True
    if not match.unordered_options or not given or not accepted or given[0] != accepted[0]:
        return False
    return _units(given) == _units(accepted)


_OPTION = re.compile(r"^-")


def _units(tokens: list[str]) -> tuple[tuple[str, ...], Counter[tuple[str, ...]]]:
    """The words outside options, in order, and the options as an unordered multiset of units.

    A unit is an option with the value written right after it (``-f raw``); an option written with
    ``=`` (``--output=json``) or followed by another option stands alone.
    """
    positional: list[str] = []
    units: Counter[tuple[str, ...]] = Counter()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if _OPTION.match(token):
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is not None and "=" not in token and not _OPTION.match(following):
                units[(token, following)] += 1
                index += 2
                continue
            units[(token,)] += 1
        else:
            positional.append(token)
        index += 1
    return tuple(positional), units
