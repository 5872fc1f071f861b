"""Per-attempt parameters and their substitution into a lab's text, scripts and check arguments.

A value is quoted once, here, for where it goes (as testinfra's ``run("cmd %s", arg)`` does): into
shell text (scripts, and check arguments that are commands) it goes shell-quoted, so it is one word
whatever it holds (a value that needs no quoting is left as written); into a regular expression it
goes escaped, so it matches itself; into text for people and into arguments a probe quotes itself
(paths, names) it goes as it is. The linter refuses a value that needs quoting where a lab put its
placeholder inside quotes or a here-document (``trainer.curriculum.shellwords``).
"""

from __future__ import annotations

import random
import re
import secrets
import shlex
from collections.abc import Callable

from checkers.privdir import LAB_ROOT
from checkers.probes import REGISTRY
from checkers.probes.matchers import OPERANDS
from trainer.curriculum.exercises import ATTEMPT, PLACEHOLDER, WORKDIR
from trainer.curriculum.model import Exercise


def choose_params(exercise: Exercise, rng: random.Random, lab_root: str = LAB_ROOT) -> dict[str, str]:
    """One value per parameter, drawn afresh for each attempt so answers cannot be copied; and
    ``workdir``, the attempt's own working folder under ``lab_root`` (the target's, see
    ``checkers.privdir.lab_root``), and ``attempt``, the end of its name (a token). It is random whatever the
    seed, so two attempts of one lab on one host never share a folder or an object named with it;
    setup makes the folder private, reset removes it."""
    token = secrets.token_hex(4)
    values = {WORKDIR: f"{lab_root}/{exercise.id}-{token}", ATTEMPT: token}
    for param in exercise.params:
        if param.range is not None:
            values[param.name] = str(rng.randint(*param.range))
        else:
            values[param.name] = rng.choice(param.choices)
    return values


def render(text: str, values: dict[str, str], quote: Callable[[str], str] = str) -> str:
    """``text`` with every ``{{name}}`` replaced by ``quote(value)`` (the linter guarantees each name
    is a parameter); as it is by default: text for people (a task, a hint)."""
    return PLACEHOLDER.sub(lambda m: quote(values[m.group(1)]), text)


def render_shell(text: str, values: dict[str, str]) -> str:
    """Shell text (a script, a command) with each value as one shell word."""
    return render(text, values, shlex.quote)


def render_regex(text: str, values: dict[str, str]) -> str:
    """A regular expression with each value escaped: it matches the value itself."""
    return render(text, values, re.escape)


def preview(text: str) -> str:
    """``text`` before an attempt has drawn its values: each ``{{name}}`` as a readable stand-in, ``<name>``."""
    return PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", text)


def render_args(probe: str, args: dict[str, object], values: dict[str, str]) -> dict[str, object]:
    """A check's arguments with the attempt's values, each quoted for what probe ``probe`` does with
    the argument: shell text, a regular expression, or a value it quotes itself."""
    spec = REGISTRY[probe].args
    rendered: dict[str, object] = {}
    for key, value in args.items():
        arg = spec.get(key)
        if key in OPERANDS and arg is not None:
            rendered[key] = _render_operand(key, value, values)
        elif not isinstance(value, str) or arg is None:
            rendered[key] = value
        elif arg.shell:
            rendered[key] = render_shell(value, values)
        elif arg.is_regex:
            rendered[key] = render_regex(value, values)
        else:
            rendered[key] = render(value, values)
    return rendered


def _render_operand(kind: str, operand: object, values: dict[str, str]) -> object:
    """A matcher's operand with the attempt's values: escaped in a ``matches``, as they are elsewhere
    (a ``contains`` map's texts, ``has_keys``), and so on down ``all``, ``any`` and ``not``."""
    if kind in ("all", "any") and isinstance(operand, list):
        return [_render_matcher(item, values) for item in operand]
    if kind == "not":
        return _render_matcher(operand, values)
    if kind == "matches" and isinstance(operand, str):
        return render_regex(operand, values)
    if isinstance(operand, dict):
        return {k: render(v, values) if isinstance(v, str) else v for k, v in operand.items()}
    if isinstance(operand, list):
        return [render(item, values) if isinstance(item, str) else item for item in operand]
    return render(operand, values) if isinstance(operand, str) else operand


def _render_matcher(matcher: object, values: dict[str, str]) -> object:
    if not isinstance(matcher, dict):
        return matcher
    return {kind: _render_operand(str(kind), operand, values) for kind, operand in matcher.items()}
