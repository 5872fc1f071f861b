"""How far the curriculum is: per objective, what exists and which official terms it covers.

``lpic3 stats`` prints this; ``lpic3 lint`` turns the gaps into warnings (no lesson text, no
question) and notes (no lab: not every term can be practised hands-on, so that never fails lint).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from trainer.curriculum.loader import LESSON_FILE, QUESTIONS_FILE
from trainer.curriculum.model import QUESTION_TYPES, Curriculum, Objective
from trainer.curriculum.problems import Problem, Severity
from trainer.curriculum.terms import mentioned


@dataclass(frozen=True, slots=True)
class TermCoverage:
    term: str
    official: bool
    in_lesson: bool
    questions: int
    exercises: int


@dataclass(slots=True)
class ObjectiveCoverage:
    objective: Objective
    lesson_words: int | None
    questions: Counter[str] = field(default_factory=Counter)
    exercises: int = 0
    terms: list[TermCoverage] = field(default_factory=list)

    def missing(self, where: str) -> list[str]:
        """Terms with no lesson mention (``lesson``), no question (``questions``) or no lab (``exercises``)."""
        return [t.term for t in self.terms if not (t.in_lesson if where == "lesson" else getattr(t, where))]

    def to_json(self) -> dict[str, object]:
        total = len(self.terms)
        return {
            "id": self.objective.id,
            "title": self.objective.title,
            "weight": self.objective.weight,
            "lesson_words": self.lesson_words,
            "questions": {kind: self.questions.get(kind, 0) for kind in QUESTION_TYPES}
            | {"total": sum(self.questions.values())},
            "exercises": self.exercises,
            "terms": total,
            "covered": {where: total - len(self.missing(where)) for where in ("lesson", "questions", "exercises")},
            "missing": {where: self.missing(where) for where in ("lesson", "questions", "exercises")},
        }


def coverage(cur: Curriculum) -> dict[str, ObjectiveCoverage]:
    result: dict[str, ObjectiveCoverage] = {}
    for oid, objective in cur.objectives.items():
        lesson = cur.lessons.get(oid)
        questions = cur.questions_for(oid)
        exercises = cur.exercises_for(oid)
        entry = ObjectiveCoverage(
            objective, lesson.word_count if lesson else None, Counter(q.type for q in questions), len(exercises)
        )
        text = f"{lesson.title}\n{lesson.body}".casefold() if lesson else ""
        for term in objective.terms:
            entry.terms.append(
                TermCoverage(
                    term.text,
                    term.official,
                    bool(lesson) and mentioned(term, text),
                    sum(term.text in q.terms for q in questions),
                    sum(term.text in e.terms for e in exercises),
                )
            )
        result[oid] = entry
    return result


def coverage_problems(cur: Curriculum, stats: dict[str, ObjectiveCoverage]) -> list[Problem]:
    """Warnings for a missing lesson or question bank and for each term they leave out; notes for labs."""
    problems = []
    for oid, entry in stats.items():
        folder = cur.root / "content" / oid
        lesson_path, questions_path = folder / LESSON_FILE, folder / QUESTIONS_FILE
        if entry.lesson_words is None:
            problems.append(Problem(lesson_path, 0, Severity.WARNING, f"no lesson for {oid} yet", oid))
        else:
            problems += [
                Problem(lesson_path, 0, Severity.WARNING, f"the lesson never mentions term {t!r}", oid)
                for t in entry.missing("lesson")
            ]
        if not entry.questions:
            problems.append(Problem(questions_path, 0, Severity.WARNING, f"no questions for {oid} yet", oid))
        else:
            problems += [
                Problem(questions_path, 0, Severity.WARNING, f"no question covers term {t!r}", oid)
                for t in entry.missing("questions")
            ]
        problems += [
            Problem(cur.root / "exercises" / oid, 0, Severity.NOTE, f"no lab touches term {t!r}", oid)
            for t in entry.missing("exercises")
        ]
    return problems
