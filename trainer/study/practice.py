"""Practice: questions of one objective or topic, in an order that favours what the learner gets
wrong, with the options shuffled afresh for every attempt (so positions cannot be memorised)."""

from __future__ import annotations

import random
from collections.abc import Iterable

from trainer.curriculum.model import Curriculum, Question
from trainer.study.exam import ExamItem, shuffled_order
from trainer.study.store import QuestionHistory


def select(cur: Curriculum, scope: str) -> list[Question]:
    """The questions of ``scope``: an objective id ("351.4"), a topic id ("352") or "all"."""
    if scope == "all":
        return list(cur.questions)
    if scope in cur.objectives:
        return cur.questions_for(scope)
    return [q for q in cur.questions if cur.objectives[q.objective].topic == scope]


def practice_order(
    questions: Iterable[Question], history: dict[str, QuestionHistory], rng: random.Random
) -> list[Question]:
    """Last answered wrong first, then never seen, then the rest by how often they were right.

    Within a tier the order is random, so two sessions never look the same.
    """

    def tier(question: Question) -> tuple[int, float]:
        seen = history.get(question.id)
        if seen is None:
            return (1, rng.random())
        if not seen.last_correct:
            return (0, rng.random())
        return (2 + min(seen.correct, 5), rng.random())

    return sorted(questions, key=tier)


def as_item(question: Question, rng: random.Random) -> ExamItem:
    """The question with its options in a fresh random order."""
    return ExamItem(question, shuffled_order(question, rng))
