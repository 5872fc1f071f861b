"""Loading a whole content tree: objectives, lessons, question banks and exercises.

Loading never stops at the first problem: every file is read, every problem is collected with
its ``file:line``, and whatever is valid is kept, so ``lint`` reports everything in one run and
the TUI still works when one question is broken.
"""

from __future__ import annotations

from pathlib import Path

from trainer.curriculum.exercises import load_exercise
from trainer.curriculum.lessons import load_lesson
from trainer.curriculum.model import Curriculum, Objective
from trainer.curriculum.objectives import load_objectives
from trainer.curriculum.problems import ContentError, Problem, Severity
from trainer.curriculum.questions import load_questions
from trainer.errors import UsageError
from trainer.paths import bundled_root

LESSON_FILE, QUESTIONS_FILE, OBJECTIVES_FILE = "lesson.md", "questions.yaml", "objectives.yaml"


class NotACurriculum(UsageError):
    """The path given is not a content tree at all (a usage error, not a content error)."""


def find_root(path: Path) -> Path:
    """The tree root for ``path``: a folder holding ``content/`` and/or ``exercises/``, or one of those."""
    if not path.exists():
        raise NotACurriculum(f"{path}: no such directory")
    if not path.is_dir():
        raise NotACurriculum(f"{path}: not a directory (give the folder that holds content/ and exercises/)")
    if (path / "content").is_dir() or (path / "exercises").is_dir():
        return path
    if path.name in ("content", "exercises") or (path / OBJECTIVES_FILE).is_file():
        return path.parent
    raise NotACurriculum(f"{path}: no content/ or exercises/ folder here")


def load_curriculum(root: Path | None = None) -> Curriculum:
    """Load the tree at ``root`` (default: the bundled curriculum); a broken objectives file is fatal."""
    root = (root or bundled_root()).resolve()
    objectives_path = root / "content" / OBJECTIVES_FILE
    if not objectives_path.is_file():
        objectives_path = bundled_root() / "content" / OBJECTIVES_FILE
    exam, topics, objectives = load_objectives(objectives_path)
    cur = Curriculum(root, exam, topics, objectives)
    for folder, objective in _objective_folders(root / "content", objectives, cur.problems):
        _load_objective_folder(cur, folder, objective)
    for folder, objective in _objective_folders(root / "exercises", objectives, cur.problems):
        for path in _listing(folder, cur.problems, objective.id):
            if path.suffix == ".yaml" and path.is_file():
                _guard(cur, lambda p=path, o=objective: _add_exercise(cur, p, o))
            elif not path.name.startswith("."):
                cur.problems.append(
                    Problem(path, 0, Severity.WARNING, "not an exercise (expected NAME.yaml)", objective.id)
                )
    _report_duplicates(cur)
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
    for path in _listing(base, problems, None) if base.is_dir() else []:
        if path.name.startswith(".") or (path.is_file() and (path.name == OBJECTIVES_FILE or path.suffix == ".md")):
            continue
        if not path.is_dir():
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
        first: dict[str, object] = {}
        keep = []
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
                        f"duplicate {kind} id {item.id!r} (first at {earlier.source})",  # type: ignore[attr-defined]
                        item.objective,
                    )
                )
        items[:] = keep
