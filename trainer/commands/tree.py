"""Opening the content tree a command was pointed at. Problems are raised, never printed here:
``cli.main`` shows them in one line."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

from trainer.curriculum.cache import load_cached
from trainer.curriculum.loader import find_root, load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import ContentError, Severity


def load_tree(path: str | None) -> Curriculum:
    """The curriculum at ``path`` (the bundled one if None) with every problem found in it, for
    ``lint`` to report. NotACurriculum when ``path`` is no content tree, ContentError when its
    objectives file is broken (nothing else can be checked without it)."""
    return load_curriculum(find_root(Path(path)) if path is not None else None)


def open_curriculum(path: str | None) -> Curriculum:
    """The curriculum for a command that uses it (an exam, progress, labs), from the cache the TUI
    uses when nothing changed (parsing 712 questions is most of a short command's time). A tree with
    errors is refused with the first one (``file:line``) and how many more: a command never works on
    a silently smaller curriculum. Warnings (terms not covered yet) are ``lint``'s business."""
    cur = load_cached(find_root(Path(path)) if path is not None else None)
    errors = [p for p in cur.problems if p.severity is Severity.ERROR]
    if errors:
        lint = "lpic3 lint" + (f" {shlex.quote(path)}" if path is not None else "")
        more = (
            f" (and {len(errors) - 1} more: `{lint}` lists them)"
            if len(errors) > 1
            else f" (fix it first; `{lint}` checks)"
        )
        raise ContentError(dataclasses.replace(errors[0], message=errors[0].message + more))
    return cur
