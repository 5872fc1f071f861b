"""Per-attempt parameters and their substitution into a lab's text, scripts and check arguments."""

from __future__ import annotations

import random

from trainer.curriculum.exercises import PLACEHOLDER
from trainer.curriculum.model import Exercise


def choose_params(exercise: Exercise, rng: random.Random) -> dict[str, str]:
    """One value per parameter, drawn afresh for each attempt so answers cannot be copied."""
    values = {}
    for param in exercise.params:
        if param.range is not None:
            values[param.name] = str(rng.randint(*param.range))
        else:
            values[param.name] = rng.choice(param.choices)
    return values


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with every ``{{name}}`` replaced (the linter guarantees each name is a parameter)."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render_args(args: dict[str, object], values: dict[str, str]) -> dict[str, object]:
    return {key: render(value, values) if isinstance(value, str) else value for key, value in args.items()}
