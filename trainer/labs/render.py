"""Per-attempt parameters and their substitution into a lab's text, scripts and check arguments."""

from __future__ import annotations

import random
import secrets

from checkers.privdir import LAB_ROOT
from trainer.curriculum.exercises import PLACEHOLDER, WORKDIR
from trainer.curriculum.model import Exercise


def choose_params(exercise: Exercise, rng: random.Random, lab_root: str = LAB_ROOT) -> dict[str, str]:
    """One value per parameter, drawn afresh for each attempt so answers cannot be copied; and
    ``workdir``, the attempt's own working folder under ``lab_root`` (the target's, see
    ``checkers.privdir.lab_root``). Its suffix is random whatever the seed, so two attempts of one
    lab on one host never share a folder; setup makes it private, reset removes it."""
    values = {WORKDIR: f"{lab_root}/{exercise.id}-{secrets.token_hex(4)}"}
    for param in exercise.params:
        if param.range is not None:
            values[param.name] = str(rng.randint(*param.range))
        else:
            values[param.name] = rng.choice(param.choices)
    return values


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with every ``{{name}}`` replaced (the linter guarantees each name is a parameter)."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def preview(text: str) -> str:
    """``text`` before an attempt has drawn its values: each ``{{name}}`` as a readable stand-in, ``<name>``."""
    return PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", text)


def render_args(args: dict[str, object], values: dict[str, str]) -> dict[str, object]:
    return {key: render(value, values) if isinstance(value, str) else value for key, value in args.items()}
