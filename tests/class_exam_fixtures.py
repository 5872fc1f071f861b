"""Filling in a class exam's answer sheets as students would, for the class exam tests and the benchmark."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from trainer.classroom.exams import StudentPaper
from trainer.curriculum.questions import LETTERS
from trainer.study.exam import ExamItem

_ANSWER_LINE = re.compile(r"^  (\d+):    # .*$", re.MULTILINE)


def answer(item: ExamItem, right: bool) -> str:
    """What a student writes for ``item`` (YAML), right or wrong: letters as displayed, or typed text."""
    q = item.question
    if q.type == "fill":
        return json.dumps(q.accept[0] if right else "no-such-command --wrong")
    shown = item.displayed_answer()
    if right:
        picked = list(shown)
    else:
        wrong = next(i for i in range(len(item.order)) if i not in shown)
        picked = [*shown[1:], wrong] if q.type == "multi" else [wrong]
    return "[" + ", ".join(LETTERS[i] for i in picked) + "]"


def fill_sheet(folder: Path, entry: StudentPaper, rights: list[bool | None]) -> Path:
    """Write ``entry``'s sheet in ``folder`` with question n answered right, wrong or (None) left blank."""
    path = folder / entry.files["sheet"]
    items = entry.paper.items

    def written(match: re.Match[str]) -> str:
        number = int(match.group(1))
        right = rights[number - 1]
        return match.group(0) if right is None else f"  {number}: {answer(items[number - 1], right)}"

    path.write_text(_ANSWER_LINE.sub(written, path.read_text()))
    return path


def fill_randomly(folder: Path, entry: StudentPaper, skill: float, rng: random.Random) -> Path:
    """A student who gets each question right with probability ``skill`` and leaves one in twenty blank."""
    rights: list[bool | None] = [None if rng.random() < 0.05 else rng.random() < skill for _ in entry.paper.items]
    return fill_sheet(folder, entry, rights)
