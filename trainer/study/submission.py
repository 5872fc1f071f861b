"""Submitting a mock exam: graded from the answers the progress store holds for it, exactly once.

The store, not a screen's memory, holds an exam's answers: two windows on one data folder each
save into it, and whichever submits grades what both saved; the other one's submit is refused
(``ExamClosed``) and can show the same result with ``stored_result``.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.curriculum.model import Curriculum
from trainer.study.exam import ExamPaper
from trainer.study.grading import Response
from trainer.study.scoring import ExamResult, score_exam
from trainer.study.store import GradedAnswer, Store


@dataclass(frozen=True, slots=True)
class SubmittedExam:
    """What the learner answered (one entry per paper item, None if blank) and how it scored."""

    responses: list[Response | None]
    result: ExamResult


def stored_result(cur: Curriculum, store: Store, paper: ExamPaper, exam_id: int) -> SubmittedExam:
    """The exam as the store holds it, scored."""
    return _score(cur, paper, store.exam_answer_responses(exam_id))


def submit_exam(cur: Curriculum, store: Store, paper: ExamPaper, exam_id: int, remaining: float) -> SubmittedExam:
    """Close the exam and record its result and the answered questions (blank ones are no answers).

    Raises ExamClosed, recording nothing, if the exam was already submitted.
    """
    graded: list[SubmittedExam] = []

    def grade(saved: dict[int, Response | None]) -> tuple[dict[str, object], list[GradedAnswer]]:
        submitted = _score(cur, paper, saved)
        graded.append(submitted)
        answered = [
            GradedAnswer(item.question.id, item.question.objective, right, response)
            for item, right, response in zip(paper.items, submitted.result.correct, submitted.responses, strict=True)
            if response is not None
        ]
        return submitted.result.to_json(), answered

    store.finish_exam(exam_id, remaining, grade)
    return graded[0]


def _score(cur: Curriculum, paper: ExamPaper, saved: dict[int, Response | None]) -> SubmittedExam:
    responses = [saved.get(position) for position in range(len(paper.items))]
    return SubmittedExam(responses, score_exam(cur, paper, responses))
