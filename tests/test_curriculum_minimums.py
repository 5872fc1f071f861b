"""The bundled curriculum meets its own bar, objective by objective, so it never silently regresses.

The bar (curriculum issues): a lesson of at least 400 prose words per weight point and never under
1,500; at least 8 questions per weight point, at least 20 % fill-in and 15 % multiple-answer, the
rest single-answer with 4 or 5 options; every term in the lesson and in at least two questions;
``lint --strict`` clean (which includes the answer-key balance).
"""

from __future__ import annotations

import pytest

from trainer.curriculum.balance import balance_problems
from trainer.curriculum.coverage import coverage, coverage_problems
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.problems import Severity
from trainer.curriculum.targets import lesson_word_target, question_target

CUR = load_curriculum()
STATS = coverage(CUR)
PROBLEMS = CUR.problems + coverage_problems(CUR, STATS) + balance_problems(CUR)


@pytest.mark.parametrize("oid", list(CUR.objectives))
def test_objective_meets_the_bar(oid: str) -> None:
    objective, entry = CUR.objectives[oid], STATS[oid]
    questions = CUR.questions_for(oid)
    assert entry.lesson_words is not None and entry.lesson_words >= lesson_word_target(objective)
    assert len(questions) >= question_target(objective)
    assert sum(q.type == "fill" for q in questions) >= 0.20 * len(questions)
    assert sum(q.type == "multi" for q in questions) >= 0.15 * len(questions)
    assert all(len(q.options) in (4, 5) for q in questions if q.type == "single")
    assert entry.missing("lesson") == []
    thin = [t.term for t in entry.terms if t.questions < 2]
    assert thin == [], f"terms in fewer than two questions: {thin}"
    strict = [p.format(CUR.root) for p in PROBLEMS if p.objective == oid and p.severity is not Severity.NOTE]
    assert strict == []


def test_whole_curriculum_size() -> None:
    assert len(CUR.lessons) == 13
    assert sum(1 for q in CUR.questions if q.objective.startswith("351")) >= 200
    assert sum(1 for q in CUR.questions if q.objective.startswith(("352", "353"))) >= 280
