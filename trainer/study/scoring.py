"""Scoring an exam: percent per objective and topic, and an estimate of LPI's scaled score.

LPI reports 200-800 with 500 to pass and publishes no conversion from correct answers (it varies by
exam form). The estimate is our own heuristic and is always labelled as such: 65 % correct maps to
500, with straight lines from 0 % -> 200 and from 100 % -> 800.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.curriculum.model import Curriculum
from trainer.study.exam import ExamPaper
from trainer.study.grading import Response, grade

PASS_PERCENT = 65.0
ESTIMATE_NOTE = (
    "estimate only: LPI publishes no conversion; lpic3 maps 65 % correct to the pass mark 500 "
    "(0 % -> 200, 100 % -> 800)"
)


@dataclass(frozen=True, slots=True)
class Tally:
    correct: int = 0
    total: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0

    def add(self, right: bool) -> Tally:
        return Tally(self.correct + right, self.total + 1)


@dataclass(slots=True)
class ExamResult:
    overall: Tally
    by_objective: dict[str, Tally] = field(default_factory=dict)
    by_topic: dict[str, Tally] = field(default_factory=dict)
    correct: list[bool] = field(default_factory=list)
    scaled: int = 200
    passed: bool = False
    pass_score: int = 500

    def to_json(self) -> dict[str, object]:
        def tally(t: Tally) -> dict[str, object]:
            return {"correct": t.correct, "total": t.total, "percent": round(t.percent, 1)}

        return {
            "correct": self.overall.correct,
            "total": self.overall.total,
            "percent": round(self.overall.percent, 1),
            "scaled_estimate": self.scaled,
            "pass_score": self.pass_score,
            "passed_estimate": self.passed,
            "estimate_note": ESTIMATE_NOTE,
            "objectives": {oid: tally(t) for oid, t in self.by_objective.items()},
            "topics": {tid: tally(t) for tid, t in self.by_topic.items()},
        }


def scaled_estimate(percent: float, low: int = 200, high: int = 800, pass_score: int = 500) -> int:
    """Our heuristic scaled score for ``percent`` correct (see the module docstring)."""
    if percent <= PASS_PERCENT:
        return round(low + (pass_score - low) * percent / PASS_PERCENT)
    return round(pass_score + (high - pass_score) * (percent - PASS_PERCENT) / (100 - PASS_PERCENT))


def score_exam(cur: Curriculum, paper: ExamPaper, responses: list[Response | None]) -> ExamResult:
    """Score ``responses`` (file-order option indices or typed text, one per paper item, None if blank)."""
    result = ExamResult(Tally(), pass_score=cur.exam.pass_score)
    result.by_objective = {oid: Tally() for oid in cur.objectives}
    result.by_topic = {t.id: Tally() for t in cur.topics}
    for item, response in zip(paper.items, responses, strict=True):
        right = grade(item.question, response)
        result.correct.append(right)
        oid = item.question.objective
        result.overall = result.overall.add(right)
        result.by_objective[oid] = result.by_objective[oid].add(right)
        topic = cur.objectives[oid].topic
        result.by_topic[topic] = result.by_topic[topic].add(right)
    low, high = cur.exam.score_range
    result.scaled = scaled_estimate(result.overall.percent, low, high, cur.exam.pass_score)
    result.passed = result.scaled >= cur.exam.pass_score
    return result
