"""How fast a class exam of 30 filled sheets is graded (the bar, issue 15: well under a second).

Makes a class exam for 30 students from the bundled curriculum in a temporary folder, fills every
sheet as a student of random skill would (some answers blank), then times ``grade_class`` (reading
the manifest and 30 sheets, scoring, the item analysis) and the report in each format, with the
curriculum already loaded; and, for the whole picture, the command ``lpic3 class exam grade`` in a
fresh interpreter (start-up and loading the curriculum included).

    python bench/class_exam_grade.py [--runs N] [--students N]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.class_exam_fixtures import fill_randomly
from trainer.classroom.exam_report import FORMATS, render
from trainer.classroom.exams import grade_class, new_class_exam
from trainer.curriculum.loader import load_curriculum


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    cur = load_curriculum()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="lpic3-bench-class-exam-") as temporary:
        folder = Path(temporary) / "exam"
        students = [f"student{n:02}" for n in range(1, args.students + 1)]
        exam = new_class_exam(cur, students, folder, 2026, html=False)
        for entry in exam.papers.values():
            fill_randomly(folder, entry, rng.uniform(0.3, 0.95), rng)
        grades: list[tuple[float, float]] = []
        reports: dict[str, list[tuple[float, float]]] = {form: [] for form in FORMATS}
        for _ in range(args.runs):
            with timed(grades):
                result = grade_class(cur, folder)
            for form in FORMATS:
                with timed(reports[form]):
                    render(result, cur, form)
        assert len(result.graded) == args.students
        commands: list[tuple[float, float]] = []
        command = [sys.executable, "-m", "trainer", "class", "exam", "grade", str(folder), "-o", str(folder / "r.csv")]
        for _ in range(args.runs):
            with timed(commands, children=True):
                subprocess.run(command, check=True, capture_output=True)
    print(f"{args.students} sheets, {len(result.items)} questions analysed, median of {args.runs} runs (wall / CPU):")
    print(f"  grade_class (manifest, sheets, scores, item analysis): {shown(grades)}")
    for form, times in reports.items():
        print(f"  {form} report:{'':<43}{shown(times)}")
    print(f"  `lpic3 class exam grade DIR -o r.csv` (fresh process):  {shown(commands)}")


@contextmanager
def timed(into: list[tuple[float, float]], children: bool = False) -> Iterator[None]:
    """Append (wall, CPU) seconds of the block; ``children``: the CPU of the processes it waited for."""

    def cpu() -> float:
        if not children:
            return time.process_time()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    wall, used = time.perf_counter(), cpu()
    yield
    into.append((time.perf_counter() - wall, cpu() - used))


def shown(times: list[tuple[float, float]]) -> str:
    wall = statistics.median(t[0] for t in times)
    used = statistics.median(t[1] for t in times)
    return f"{1000 * wall:7.1f} ms / {1000 * used:7.1f} ms"


if __name__ == "__main__":
    main()
