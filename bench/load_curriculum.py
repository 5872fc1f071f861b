"""How fast the whole curriculum loads and validates.

The bar (foundation issue): about 500 questions, 13 lessons and 60 exercises in well under 200 ms.
The bundled curriculum is measured as it is, and a synthetic one of that full size is made by
repeating the bundled items under new ids, so the figure holds before the content is complete.

    python bench/load_curriculum.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.curriculum.coverage import coverage, coverage_problems
from trainer.curriculum.loader import load_curriculum
from trainer.paths import bundled_root

FULL = {"questions": 500, "lessons": 13, "exercises": 60}


def lint_once(root: Path) -> tuple[float, int, int, int]:
    start = time.perf_counter()
    cur = load_curriculum(root)
    coverage_problems(cur, coverage(cur))
    return time.perf_counter() - start, len(cur.questions), len(cur.lessons), len(cur.exercises)


def synthetic_tree(target: Path) -> Path:
    """Copies of the bundled lessons, questions and exercises until the tree reaches the full size."""
    source = bundled_root()
    cur = load_curriculum(source)
    lessons = list(cur.lessons.values())
    question_files = sorted((source / "content").glob("*/questions.yaml"))
    exercise_files = sorted((source / "exercises").glob("*/*.yaml"))
    if not (lessons and question_files and exercise_files):
        raise SystemExit("the bundled curriculum needs at least one lesson, question file and exercise")
    shutil.copy(source / "content" / "objectives.yaml", target / "objectives.yaml")
    per_file = max(1, len(cur.questions) // len(question_files))
    for n, oid in enumerate(cur.objectives):
        folder = target / "content" / oid
        folder.mkdir(parents=True)
        lesson = lessons[n % len(lessons)]
        text = lesson.source.path.read_text()
        (folder / "lesson.md").write_text(text.replace(f'objective: "{lesson.objective}"', f'objective: "{oid}"'))
    made, copy = 0, 0
    while made < FULL["questions"]:
        src = question_files[copy % len(question_files)]
        oid = src.parent.name
        text = src.read_text().replace(f"id: {oid}-", f"id: {oid}-copy{copy}-")
        (target / "content" / oid / "questions.yaml").write_text(
            (
                (target / "content" / oid / "questions.yaml").read_text()
                if (target / "content" / oid / "questions.yaml").exists()
                else ""
            )
            + text
        )
        made, copy = made + per_file, copy + 1
    for n in range(FULL["exercises"]):
        src = exercise_files[n % len(exercise_files)]
        folder = target / "exercises" / src.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"copy{n}.yaml").write_text(src.read_text().replace("id: ", f"id: copy{n}-", 1))
    return target


def report(name: str, root: Path, runs: int) -> None:
    lint_once(root)  # warm the file cache and compiled patterns, as a second launch would
    times = []
    for _ in range(runs):
        seconds, questions, lessons, exercises = lint_once(root)
        times.append(seconds * 1000)
    print(
        f"{name:<10} {questions:>4} questions {lessons:>3} lessons {exercises:>3} exercises: "
        f"median {statistics.median(times):6.1f} ms, min {min(times):6.1f} ms, max {max(times):6.1f} ms "
        f"over {runs} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    report("bundled", bundled_root(), args.runs)
    with tempfile.TemporaryDirectory(prefix="lpic3-bench-") as tmp:
        report("full-size", synthetic_tree(Path(tmp)), args.runs)


if __name__ == "__main__":
    main()
