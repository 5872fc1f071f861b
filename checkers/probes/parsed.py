"""Remembering what a slow parser made of a file, by the file's content.

The checks of one lab read the same file many times, and some parsers cost far more than reading
the file: starting python3 with a library, or a Perl tool (about 1 s each on a loaded 2-core
machine, against a few milliseconds for ``cat``). A probe reads the file with ``cat`` (its status
and output are the key: a missing file is remembered too) and runs the parser only for content it
has not seen.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from typing import TypeVar

from checkers.probes.values import excerpt
from checkers.shell import Shell

_V = TypeVar("_V")
_KEPT = 16  # entries per cache: a self-test makes about ten versions of a lab's file

Key = tuple[str, int, str]  # what was read (a path or a command), its exit status, its output


def remembered(cache: dict[Key, _V], key: Key, parse: Callable[[], _V]) -> _V:
    """What ``parse`` made of the content ``key`` names, from ``cache`` when it was parsed before.
    ``parse`` raising (a timeout: not judged) leaves nothing behind."""
    if key in cache:
        return cache[key]
    value = parse()
    while len(cache) >= _KEPT:
        del cache[next(iter(cache))]
    cache[key] = value
    return value


def python_answer(shell: Shell, program: str, args: Sequence[str], who: str) -> dict[str, object]:
    """What a small python3 ``program`` run on the target with ``args`` printed: one JSON object
    (the parser's reading, or its own ``{"error": ...}``); anything else is an error naming ``who``."""
    words = " ".join(shlex.quote(arg) for arg in args)
    result = shell.run(f"python3 -c {shlex.quote(program)} {words}", merge=False)
    try:
        answer = json.loads(result.output)
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        return {"error": f"{who} gave no answer: {excerpt(result.errors or result.output)}"}
    return answer
