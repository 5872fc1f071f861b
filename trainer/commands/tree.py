"""Opening the content tree a command was pointed at, with usage and content errors as one line."""

from __future__ import annotations

import sys
from pathlib import Path

from trainer.curriculum.loader import NotACurriculum, find_root, load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import ContentError

USAGE_ERROR, CONTENT_ERROR = 2, 1


def open_curriculum(path: str | None) -> Curriculum | int:
    """The curriculum at ``path`` (the bundled one if None), or the exit status after a one-line error."""
    try:
        root = find_root(Path(path)) if path else None
        return load_curriculum(root)
    except NotACurriculum as exc:
        print(f"lpic3: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except ContentError as exc:
        print(exc.problem.format(), file=sys.stderr)
        return CONTENT_ERROR
