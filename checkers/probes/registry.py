"""The probe registry: every probe's name, the arguments it takes, and the function behind it.

A probe reads state through a Shell and returns a Verdict that says what was expected and what was
seen, so a learner can always see why a check failed. The linter uses ``argument_problems`` to
reject an exercise whose check names an unknown probe or gives it the wrong arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from checkers.shell import Shell


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    expected: str
    seen: str
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Arg:
    kind: type
    required: bool = True
    help: str = ""
    pattern: str = ""  # a string argument must match this regular expression in full
    is_regex: bool = False  # the argument is itself a regular expression and must compile


@dataclass(frozen=True, slots=True)
class Probe:
    name: str
    summary: str
    func: Callable[..., Verdict]
    args: dict[str, Arg] = field(default_factory=dict)


REGISTRY: dict[str, Probe] = {}

_KIND_NAMES = {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}


def probe(probe_name: str, summary: str, /, **args: Arg) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Register the decorated function as probe ``probe_name`` taking ``args`` (besides the shell)."""

    def register(func: Callable[..., Verdict]) -> Callable[..., Verdict]:
        if probe_name in REGISTRY:
            raise ValueError(f"probe {probe_name} registered twice")
        REGISTRY[probe_name] = Probe(probe_name, summary, func, args)
        return func

    return register


def argument_problems(name: str, args: dict[str, object]) -> list[str]:
    """What is wrong with calling probe ``name`` with ``args``; empty when the call is fine."""
    spec = REGISTRY.get(name)
    if spec is None:
        return [f"no probe named {name!r} (known: {', '.join(sorted(REGISTRY))})"]
    problems = []
    for key, value in args.items():
        arg = spec.args.get(key)
        if arg is None:
            problems.append(f"probe {name} takes no argument {key!r} (it takes: {', '.join(spec.args) or 'none'})")
        elif not isinstance(value, arg.kind) or (arg.kind is int and isinstance(value, bool)):
            problems.append(f"probe {name} argument {key!r} must be {_KIND_NAMES.get(arg.kind, arg.kind.__name__)}")
        elif arg.pattern and isinstance(value, str) and not re.fullmatch(arg.pattern, value):
            problems.append(f"probe {name} argument {key!r}: {value!r} is not {arg.help}")
        elif arg.is_regex and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as exc:
                problems.append(f"probe {name} argument {key!r} is not a valid regular expression: {exc}")
    for key, arg in spec.args.items():
        if arg.required and key not in args:
            problems.append(f"probe {name} needs argument {key!r} ({arg.help})")
    return problems


def run_probe(shell: Shell, name: str, args: dict[str, object]) -> Verdict:
    """Run probe ``name``; arguments are assumed valid (the linter checked them)."""
    return REGISTRY[name].func(shell, **args)
