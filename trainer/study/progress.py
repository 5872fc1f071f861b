"""Progress per objective: what the home screen and ``lpic3 progress`` show."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.curriculum.model import Curriculum
from trainer.study.review import due_now, labs_due_now
from trainer.study.store import LabAttempts, Store


@dataclass(frozen=True, slots=True)
class ObjectiveProgress:
    objective: str
    weight: int
    questions: int
    answered: int
    attempts: int
    correct: int
    due: int  # reviews due now (see review.due_now)
    lesson_read: bool
    labs: int = 0  # the objective's hands-on labs
    labs_passed: int = 0  # of them, passed at least once (hands-on evidence)
    labs_due: int = 0  # of them, passed and due to be done again (review.labs_due_now)

    @property
    def accuracy(self) -> float | None:
        return 100.0 * self.correct / self.attempts if self.attempts else None

    def to_json(self) -> dict[str, object]:
        return {
            "objective": self.objective,
            "weight": self.weight,
            "questions": self.questions,
            "answered": self.answered,
            "attempts": self.attempts,
            "correct": self.correct,
            "accuracy": None if self.accuracy is None else round(self.accuracy, 1),
            "due_reviews": self.due,
            "lesson_read": self.lesson_read,
            "labs": self.labs,
            "labs_passed": self.labs_passed,
            "labs_due": self.labs_due,
        }


def objective_progress(cur: Curriculum, store: Store) -> list[ObjectiveProgress]:
    history = store.history()
    due = set(due_now(store))
    labs_due = set(labs_due_now(store))
    passed = LabAttempts(store).passed_exercises()
    positions = store.lesson_furthest()
    rows = []
    for oid, objective in cur.objectives.items():
        ids = [q.id for q in cur.questions_for(oid)]
        seen = [history[i] for i in ids if i in history]
        labs = [e.id for e in cur.exercises_for(oid)]
        rows.append(
            ObjectiveProgress(
                oid,
                objective.weight,
                len(ids),
                len(seen),
                sum(h.attempts for h in seen),
                sum(h.correct for h in seen),
                sum(i in due for i in ids),
                positions.get(oid, 0.0) >= 0.9,
                len(labs),
                sum(lab in passed for lab in labs),
                sum(lab in labs_due for lab in labs),
            )
        )
    return rows


def last_exam_score(store: Store) -> dict[str, object] | None:
    exams = store.finished_exams()
    return exams[-1].result if exams else None
