"""The mock exam: drawn like the real one, one question per weight point of each objective.

A paper is fully determined by the curriculum and a seed (question choice, order and the order of
each question's options), so a printed exam can be graded later from its seed; a fingerprint of
the drawn questions tells when the curriculum changed in between.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from trainer.curriculum.model import Curriculum, Question
from trainer.errors import Lpic3Error


@dataclass(frozen=True, slots=True)
class Shortfall:
    objective: str
    needed: int
    available: int

    def __str__(self) -> str:
        return f"{self.objective} has {self.available} question(s), the exam needs {self.needed}"


class PoolTooSmall(Lpic3Error):
    """Some objective has fewer questions than its weight: a full exam cannot be drawn."""

    def __init__(self, shortfalls: list[Shortfall]) -> None:
        super().__init__("; ".join(map(str, shortfalls)))
        self.shortfalls = shortfalls


@dataclass(frozen=True, slots=True)
class ExamItem:
    """One question as it appears on the paper: ``order[i]`` is the file index of displayed option i."""

    question: Question
    order: tuple[int, ...]

    def displayed_answer(self) -> tuple[int, ...]:
        """The right options as displayed positions (what a paper key shows)."""
        return tuple(sorted(self.order.index(i) for i in self.question.answer))

    def to_file_indices(self, displayed: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(self.order[i] for i in displayed if 0 <= i < len(self.order))


@dataclass(frozen=True, slots=True)
class ExamPaper:
    seed: int
    minutes: int
    items: tuple[ExamItem, ...]

    @property
    def fingerprint(self) -> str:
        """Identifies the exact paper: question ids and option orders."""
        text = "|".join(f"{i.question.id}:{','.join(map(str, i.order))}" for i in self.items)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def draw_exam(cur: Curriculum, seed: int) -> ExamPaper:
    """Draw ``weight`` questions per objective without repeats, shuffle them and their options.

    Raises PoolTooSmall naming every objective whose pool is smaller than its weight.
    """
    rng = random.Random(seed)
    shortfalls = []
    chosen: list[Question] = []
    for oid, objective in cur.objectives.items():
        pool = sorted(cur.questions_for(oid), key=lambda q: q.id)
        if len(pool) < objective.weight:
            shortfalls.append(Shortfall(oid, objective.weight, len(pool)))
            continue
        chosen.extend(rng.sample(pool, objective.weight))
    if shortfalls:
        raise PoolTooSmall(shortfalls)
    rng.shuffle(chosen)
    return ExamPaper(seed, cur.exam.minutes, tuple(ExamItem(q, shuffled_order(q, rng)) for q in chosen))


def shuffled_order(question: Question, rng: random.Random) -> tuple[int, ...]:
    order = list(range(len(question.options)))
    rng.shuffle(order)
    return tuple(order)


def rebuild_paper(cur: Curriculum, seed: int, minutes: int, entries: list[tuple[str, tuple[int, ...]]]) -> ExamPaper:
    """A paper from stored question ids and option orders (a resumed or past exam).

    Raises KeyError naming a question that no longer exists in the curriculum.
    """
    by_id = {q.id: q for q in cur.questions}
    return ExamPaper(seed, minutes, tuple(ExamItem(by_id[qid], order) for qid, order in entries))
