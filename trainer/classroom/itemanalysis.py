"""Item analysis of a class exam: how each question behaved, as Moodle's quiz statistics report shows it.

An instructor reads it to find the questions that did not work: one almost nobody got right
(facility), one the weaker students got right as often as the stronger ones (discrimination), a
wrong option nobody fell for or one that drew the good students (the distractors). Pure functions
on plain values, so every figure can be checked by hand:

- facility: the share of the answers to the question that were right;
- discrimination (upper - lower): the class is ranked by its share right on the whole paper; the
  facility among the top third (``n // 3`` students, ties broken by name) minus that among the
  bottom third, counting only the members whose paper had the question (-1 to 1);
- discrimination index: as Moodle's, the correlation between the question's mark (1 or 0) and the
  share right on the rest of the paper, over the students who had it (-1 to 1);
- per option, how many answers chose it (a multi-answer question's answer counts once for each
  option it picked), and every distinct response with its count (typed answers with their blanks
  folded), so each wrong answer's pick is visible.

Each paper of a class exam is drawn on its own, so a question is answered only by the students
whose paper has it: every figure counts those attempts, and a figure that needs more answers than
there are is None (not a misleading 0).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from trainer.study.grading import Response


@dataclass(frozen=True, slots=True)
class Answer:
    """One student's answer to one question: option indices in the question file's order, typed
    text, or None when left blank; ``right`` is the grader's verdict."""

    student: str
    right: bool
    response: Response | None


@dataclass(frozen=True, slots=True)
class Score:
    """A student's result on the whole paper."""

    correct: int
    total: int

    @property
    def share(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class ResponseCount:
    """A distinct response (None: blank), how many gave it and whether it is right."""

    response: Response | None
    count: int
    right: bool


@dataclass(frozen=True, slots=True)
class ItemStats:
    attempts: int
    right: int
    blank: int
    facility: float | None
    discrimination: float | None
    index: float | None
    options: tuple[int, ...]  # per option in file order; empty for fill-in questions
    responses: tuple[ResponseCount, ...]  # most frequent first


@dataclass(frozen=True, slots=True)
class ClassStats:
    """The class's shares right on the whole paper, as Moodle's quiz information summarises them."""

    attempts: int
    mean: float | None
    median: float | None
    deviation: float | None  # the sample standard deviation (n - 1), None below two attempts


def class_stats(scores: Mapping[str, Score]) -> ClassStats:
    shares = [score.share for score in scores.values()]
    return ClassStats(
        attempts=len(shares),
        mean=statistics.fmean(shares) if shares else None,
        median=statistics.median(shares) if shares else None,
        deviation=statistics.stdev(shares) if len(shares) > 1 else None,
    )


def thirds(scores: Mapping[str, Score]) -> tuple[frozenset[str], frozenset[str]]:
    """The top and bottom thirds of the class (``n // 3`` students each; fewer than 3: none)."""
    ranked = sorted(scores, key=lambda name: (-scores[name].share, name))
    size = len(ranked) // 3
    return frozenset(ranked[:size]), frozenset(ranked[len(ranked) - size :])


def facility(answers: Sequence[Answer]) -> float | None:
    return sum(a.right for a in answers) / len(answers) if answers else None


def group_discrimination(answers: Sequence[Answer], upper: frozenset[str], lower: frozenset[str]) -> float | None:
    """Facility in the top third minus facility in the bottom third (None if either group lacks answers)."""
    top = facility([a for a in answers if a.student in upper])
    bottom = facility([a for a in answers if a.student in lower])
    return None if top is None or bottom is None else top - bottom


def discrimination_index(answers: Sequence[Answer], scores: Mapping[str, Score]) -> float | None:
    """Pearson's r between the mark on this question and the share right on the rest of the paper.

    None when it is undefined: fewer than two answers, or no spread in either (all right, or every
    student with the same rest score).
    """
    marks = [float(a.right) for a in answers]
    rest = [
        (scores[a.student].correct - a.right) / (scores[a.student].total - 1) if scores[a.student].total > 1 else 0.0
        for a in answers
    ]
    return correlation(marks, rest)


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation coefficient of two equally long series, None if it is undefined."""
    if len(xs) < 2:
        return None
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    return cov / math.sqrt(var_x * var_y) if var_x > 0 and var_y > 0 else None


def option_counts(answers: Iterable[Answer], options: int) -> tuple[int, ...]:
    """How many answers picked each option (file order); a letter written twice counts once."""
    counts = [0] * options
    for answer in answers:
        if isinstance(answer.response, tuple):
            for index in set(answer.response):
                counts[index] += 1
    return tuple(counts)


def response_counts(answers: Iterable[Answer]) -> tuple[ResponseCount, ...]:
    """Each distinct response with its count, most frequent first (then right before wrong, then
    blank last). Typed text is grouped with its blanks folded (the grader folds them too)."""
    tally: Counter[Response | None] = Counter()
    right: dict[Response | None, bool] = {}
    for answer in answers:
        key = _grouped(answer.response)
        tally[key] += 1
        right[key] = answer.right
    return tuple(
        sorted(
            (ResponseCount(key, count, right[key]) for key, count in tally.items()),
            key=lambda r: (-r.count, not r.right, r.response is None, str(r.response)),
        )
    )


def _grouped(response: Response | None) -> Response | None:
    if isinstance(response, str):
        return " ".join(response.split())
    return None if response is None else tuple(sorted(response))


def analyse(
    answers: Sequence[Answer], options: int, scores: Mapping[str, Score], upper: frozenset[str], lower: frozenset[str]
) -> ItemStats:
    """All figures for one question (``options`` is 0 for a fill-in question)."""
    return ItemStats(
        attempts=len(answers),
        right=sum(a.right for a in answers),
        blank=sum(a.response is None for a in answers),
        facility=facility(answers),
        discrimination=group_discrimination(answers, upper, lower),
        index=discrimination_index(answers, scores),
        options=option_counts(answers, options),
        responses=response_counts(answers),
    )
