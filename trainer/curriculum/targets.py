"""How much content an objective should have: the curriculum's own bar, scaled by exam weight."""

from __future__ import annotations

from trainer.curriculum.model import Objective

WORDS_PER_WEIGHT, MIN_LESSON_WORDS, QUESTIONS_PER_WEIGHT = 400, 1500, 8


def lesson_word_target(objective: Objective) -> int:
    """At least 400 prose words per weight point, never under 1,500."""
    return max(WORDS_PER_WEIGHT * objective.weight, MIN_LESSON_WORDS)


def question_target(objective: Objective) -> int:
    """At least 8 questions per weight point."""
    return QUESTIONS_PER_WEIGHT * objective.weight
