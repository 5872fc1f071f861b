"""Loading a whole content tree: objectives, lessons, question banks and exercises.

Loading never stops at the first problem: every file is read, every problem is collected with
its ``file:line``, and whatever is valid is kept, so ``lint`` reports everything in one run and
the TUI still works when one question is broken.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from trainer.curriculum.exercises import load_exercise
from trainer.curriculum.lessons import load_lesson
from trainer.curriculum.model import Curriculum, Exercise, Objective, Question
from trainer.curriculum.objectives import load_objectives
from trainer.curriculum.problems import ContentError, Problem, Severity
from trainer.curriculum.questions import load_questions
from trainer.curriculum.quoting import excerpt
from trainer.errors import UsageError
from trainer.paths import bundled_root

LESSON_FILE, QUESTIONS_FILE, OBJECTIVES_FILE = "lesson.md", "questions.yaml", "objectives.yaml"


class NotACurriculum(UsageError):
    """The path given is not a content tree at all (a usage error, not a content error)."""


def _mode(path: Path) -> int:
    """The file type bits of ``path`` (following symlinks), 0 when it cannot be looked at: unlike
    ``Path.is_dir``, a folder that cannot be searched or a name too long is not an exception."""
    try:
        return stat.S_IFMT(path.stat().st_mode)
    except (OSError, ValueError):
        return 0


def find_root(path: Path) -> Path:
    """The tree root for ``path``: a folder holding ``content/`` and/or ``exercises/``, or one of those."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            os.listdir(path)  # a folder that cannot be read says so here, not as "no content/ here"
    except FileNotFoundError:
        raise NotACurriculum(f"{path}: no such directory") from None
    except PermissionError:
        raise NotACurriculum(f"{path}: cannot be read: permission denied") from None
    except OSError as exc:
        raise NotACurriculum(f"{path}: cannot be used: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(mode):
        raise NotACurriculum(f"{path}: not a directory (give the folder that holds content/ and exercises/)")
    if stat.S_IFDIR in (_mode(path / "content"), _mode(path / "exercises")):
        return path
    if path.name in ("content", "exercises") or _mode(path / OBJECTIVES_FILE):
        return path.parent
    raise NotACurriculum(f"{path}: no content/ or exercises/ folder here")


def load_curriculum(root: Path | None = None) -> Curriculum:
    """Load the tree at ``root`` (default: the bundled curriculum); a broken objectives file is fatal."""
    root = (root or bundled_root()).resolve()
    objectives_path = root / "content" / OBJECTIVES_FILE
    if not os.path.lexists(objectives_path):  # one that exists but cannot be read is an error, not skipped
        objectives_path = bundled_root() / "content" / OBJECTIVES_FILE
    spec = load_objectives(objectives_path)
    cur = Curriculum(root, spec.exam, spec.topics, spec.objectives)
    for folder, objective in _objective_folders(root / "content", spec.objectives, cur.problems):
        _load_objective_folder(cur, folder, objective)
    for folder, objective in _objective_folders(root / "exercises", spec.objectives, cur.problems):
        for path in _listing(folder, cur.problems, objective.id):
            if path.suffix == ".yaml" and _mode(path) != stat.S_IFDIR:  # a FIFO or device: read_text says so
                _guard(cur, lambda p=path, o=objective: _add_exercise(cur, p, o))
            elif not path.name.startswith("."):
                cur.problems.append(
                    Problem(path, 0, Severity.WARNING, "not an exercise (expected NAME.yaml)", objective.id)
                )
    _report_duplicates(cur)
    _report_short_pools(cur, objectives_path, spec.weight_lines)
    return cur


def _load_objective_folder(cur: Curriculum, folder: Path, objective: Objective) -> None:
    for path in _listing(folder, cur.problems, objective.id):
        if path.name == LESSON_FILE:

            def add_lesson(p: Path = path) -> None:
                lesson = load_lesson(p, objective.id, cur.problems)
                if lesson is not None:
                    cur.lessons[objective.id] = lesson

            _guard(cur, add_lesson)
        elif path.name == QUESTIONS_FILE:
            _guard(
                cur, lambda p=path: cur.questions.extend(load_questions(p, objective.id, cur.objectives, cur.problems))
            )
        elif not path.name.startswith("."):
            cur.problems.append(
                Problem(
                    path,
                    0,
                    Severity.WARNING,
                    f"unexpected file (an objective folder holds {LESSON_FILE} and {QUESTIONS_FILE})",
                    objective.id,
                )
            )


def _add_exercise(cur: Curriculum, path: Path, objective: Objective) -> None:
    exercise = load_exercise(path, objective.id, cur.objectives, cur.problems)
    if exercise is not None:
        cur.exercises.append(exercise)


def _guard(cur: Curriculum, load: object) -> None:
    """Run one file's loader; a file that cannot be read or parsed becomes a problem, not a crash."""
    try:
        load()  # type: ignore[operator]
    except ContentError as exc:
        cur.problems.append(exc.problem)


def _objective_folders(
    base: Path, objectives: dict[str, Objective], problems: list[Problem]
) -> list[tuple[Path, Objective]]:
    folders = []
    for path in _listing(base, problems, None) if _mode(base) == stat.S_IFDIR else []:
        if path.name.startswith(".") or (
            _mode(path) == stat.S_IFREG and (path.name == OBJECTIVES_FILE or path.suffix == ".md")
        ):
            continue
        if _mode(path) != stat.S_IFDIR:
            problems.append(Problem(path, 0, Severity.WARNING, "unexpected file (expected objective folders)"))
        elif path.name not in objectives:
            problems.append(
                Problem(
                    path,
                    0,
                    Severity.ERROR,
                    f"folder {path.name!r} is not an objective id (one of {', '.join(objectives)})",
                )
            )
        else:
            folders.append((path, objectives[path.name]))
    return folders


def _listing(folder: Path, problems: list[Problem], objective: str | None) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        problems.append(Problem(folder, 0, Severity.ERROR, f"cannot list folder: {exc.strerror or exc}", objective))
        return []


def _report_duplicates(cur: Curriculum) -> None:
    """Ids must be unique: progress, reviews and exam records refer to items by id."""
    for kind, items in (("question", cur.questions), ("exercise", cur.exercises)):
        first: dict[str, Question | Exercise] = {}
        keep: list[Any] = []  # questions or exercises, as ``items`` holds
        for item in items:
            earlier = first.get(item.id)
            if earlier is None:
                first[item.id] = item
                keep.append(item)
            else:
                cur.problems.append(
                    Problem(
                        item.source.path,
                        item.source.line,
                        Severity.ERROR,
                        f"duplicate {kind} id {excerpt(item.id)} (first at {earlier.source})",
                        item.objective,
                    )
                )
        items[:] = keep


def _report_short_pools(cur: Curriculum, objectives_path: Path, weight_lines: dict[str, int]) -> None:
    """A mock exam draws ``weight`` questions of each objective: a weight the bank cannot fill makes
    ``exam new`` fail. A warning at the weight (``lint --strict`` fails on it), not an error: a
    tree with only some question banks, or only labs, is still of use."""
    for oid, objective in cur.objectives.items():
        count = len(cur.questions_for(oid))
        if count < objective.weight:
            cur.problems.append(
                Problem(
                    objectives_path,
                    weight_lines.get(oid, 0),
                    Severity.WARNING,
                    f"objective {oid} has weight {objective.weight} but {count} valid question"
                    f"{'s' if count != 1 else ''}: `lpic3 exam new` draws one per weight point and "
                    "cannot draw a full exam",
                    oid,
                )
            )
