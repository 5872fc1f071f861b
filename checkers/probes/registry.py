"""The probe registry: every probe's name, the arguments it takes, and the function behind it.

A probe reads state through a Shell and returns a Verdict that says what was expected and what was
seen, so a learner can always see why a check failed. The linter uses ``argument_problems`` to
reject an exercise whose check names an unknown probe or gives it the wrong arguments.

A verdict has three outcomes: pass, fail, and not judged. A command that got no answer in time says
nothing about the state (a busy machine, a slow VM), so ``run_probe`` stops the probe there and
returns "not judged" with the reason; no probe can turn a timeout into a fail. So does an answer the
session refused (``CommandResult.refused``: the real tool is missing or not trusted, or
/etc/ld.so.preload is set). A probe that reads kernel files in the kernel view
(``checkers.kernelfiles``) and finds something mounted over them fails, saying it was tampered with.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from checkers.kernelfiles import FUNCTION as KERNEL_VIEW
from checkers.kernelfiles import KernelViewProblem
from checkers.probes.matchers import OPERANDS, matcher_problems
from checkers.probes.values import SEEN_LIMIT, cap
from checkers.shell import COMMAND_TIMEOUT, SCRIPT_TIMEOUT, CommandResult, Shell

PASS, FAIL, NOT_JUDGED = "pass", "fail", "not judged"


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    expected: str
    seen: str
    evidence: str = ""
    judged: bool = True  # False: the target did not answer in time, so this is neither a pass nor a fail
    refused: str = ""  # why the session refused the answer (the real tool missing, ld.so.preload set); not judged

    @property
    def outcome(self) -> str:
        """PASS, FAIL or NOT_JUDGED."""
        return NOT_JUDGED if not self.judged else PASS if self.passed else FAIL

    @classmethod
    def not_judged(cls, expected: str, reason: str, evidence: str = "", refused: str = "") -> Verdict:
        return cls(False, expected, reason, evidence, judged=False, refused=refused)


@dataclass(frozen=True, slots=True)
class Arg:
    kind: type | tuple[type, ...]
    required: bool = True
    help: str = ""
    pattern: str = ""  # a string argument (each item of a list of them) must match this regex in full
    is_regex: bool = False  # the argument is itself a regular expression and must compile
    shell: bool = False  # the argument is shell text run on the target (a lab's values are quoted into it)
    not_with: tuple[str, ...] = ()  # arguments this one cannot be given with (each asks for another value)


@dataclass(frozen=True, slots=True)
class Probe:
    name: str
    summary: str
    func: Callable[..., Verdict]
    args: dict[str, Arg] = field(default_factory=dict)
    matcher_needs_key: bool = False  # its matcher judges its optional ``key``: none without one


REGISTRY: dict[str, Probe] = {}

_KIND_NAMES: dict[type | tuple[type, ...], str] = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    (str, dict): "a string or a map",
    dict: "a map",
}

# The matcher arguments (``checkers.probes.matchers``) of a probe that reads one value: ``**MATCHER``
# in its ``probe(...)``; a check gives exactly one of them.
_MATCHER_HELP = {
    "equals": "the value as text (numbers and booleans as JSON writes them)",
    "matches": "a regular expression the whole value matches",
    "contains": "a list's item, a map's key, a text's part; or a map: a list item with these keys and values",
    "absent": "true: the key is not there at all; false: it is",
    "has_keys": "a map with at least these keys",
    "between": "[LOW, HIGH]: a number from LOW to HIGH, both included",
    "all": "a list of matchers that must all hold",
    "any": "a list of matchers one of which must hold",
    "not": "a matcher that must not hold",
}
MATCHER = {
    kind: Arg(OPERANDS[kind], required=False, is_regex=kind == "matches", help=_MATCHER_HELP[kind]) for kind in OPERANDS
}


def probe(probe_name: str, summary: str, /, **args: Arg) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Register the decorated function as probe ``probe_name`` taking ``args`` (besides the shell)."""

    def register(func: Callable[..., Verdict]) -> Callable[..., Verdict]:
        if probe_name in REGISTRY:
            raise ValueError(f"probe {probe_name} registered twice")
        REGISTRY[probe_name] = Probe(probe_name, summary, func, args)
        return func

    return register


def matcher_needs_key(probe_name: str) -> None:
    """Mark probe ``probe_name``'s matcher as judging its optional ``key``: none without one."""
    REGISTRY[probe_name] = replace(REGISTRY[probe_name], matcher_needs_key=True)


def _quoted(text: str) -> str:
    """A name or value from a content file as a message quotes it: short, since content is hostile."""
    return repr(cap(text, 60))


def argument_problems(name: str, args: dict[str, object]) -> list[str]:
    """What is wrong with calling probe ``name`` with ``args``; empty when the call is fine. Names and
    values from the file are quoted short (``_quoted``): a message never grows with the content."""
    spec = REGISTRY.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, REGISTRY, n=3)
        known = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(_families())}"
        return [f"no probe named {_quoted(name)} ({known})"]
    problems = []
    for key, value in args.items():
        arg = spec.args.get(key)
        if arg is None:
            takes = ", ".join(spec.args) or "none"
            problems.append(f"probe {name} takes no argument {_quoted(key)} (it takes: {takes})")
        elif not isinstance(value, arg.kind) or (arg.kind is int and isinstance(value, bool)):
            problems.append(f"probe {name} argument {key!r} must be {_KIND_NAMES[arg.kind]}")
        elif arg.pattern and (bad := _unlike(arg.pattern, value)) is not None:
            problems.append(f"probe {name} argument {key!r}: {_quoted(bad)} is not {arg.help}")
        elif arg.is_regex and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as exc:
                problems.append(f"probe {name} argument {key!r} is not a valid regular expression: {exc}")
    for key, arg in spec.args.items():
        if arg.required and key not in args:
            problems.append(f"probe {name} needs argument {key!r} ({arg.help})")
        for other in arg.not_with:
            if key in args and other in args:
                problems.append(f"probe {name} takes {other!r} or {key!r}, not both")
    if MATCHER.keys() <= spec.args.keys():
        problems += [f"probe {name} {problem}" for problem in _matcher_problems(spec, args)]
    return problems


def _unlike(pattern: str, value: object) -> str | None:
    """The text (the argument, or an item of a list of them) that ``pattern`` does not match in full."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return next((str(i) for i in items if not isinstance(i, str) or not re.fullmatch(pattern, i)), None)


def _matcher_problems(spec: Probe, args: dict[str, object]) -> list[str]:
    """A probe whose matcher judges its optional ``key`` (one more thing it can look at) takes a
    matcher with the key and none without; any other takes exactly one."""
    if spec.matcher_needs_key and "key" not in args:
        given = [kind for kind in MATCHER if kind in args]
        return [f"takes {', '.join(given)} only with a key to judge"] if given else []
    return matcher_problems(args)


def _families() -> list[str]:
    """The probes by family ('cgroup.*', 'file.*'): a list short enough for a one-line message."""
    return sorted({f"{name.split('.')[0]}.*" for name in REGISTRY})


class NoAnswer(Exception):
    """A command of a probe got no answer it can judge: none in time, or one from a tool that is not
    the real one (``CommandResult.refused``). ``reason`` says which."""

    def __init__(self, result: CommandResult, reason: str) -> None:
        super().__init__(result.command)
        self.result, self.reason = result, reason


class _Answered:
    """The shell as a probe sees it: every result it gets is an answer; a timeout stops the probe."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT, merge: bool = True) -> CommandResult:
        start = time.monotonic()
        return self._answer(self.shell.run(command, timeout, merge), start)

    def run_script(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> CommandResult:
        start = time.monotonic()
        return self._answer(self.shell.run_script(script, timeout), start)

    @staticmethod
    def _answer(result: CommandResult, start: float) -> CommandResult:
        if result.timed_out:
            command = " ".join(result.command.split())
            seconds = max(time.monotonic() - start, result.waited)  # an answer asked ahead came at once
            raise NoAnswer(result, f"no answer in {seconds:.0f} s (from `{cap(command, 80)}`), not judged; check again")
        if result.refused:
            raise NoAnswer(result, "not judged: " + result.refused)
        return result


class _First(BaseException):  # not an Exception: no probe's own ``except Exception`` can swallow it
    def __init__(self, request: tuple[str, float, bool] | None) -> None:
        super().__init__()
        self.request = request


class _Dry:
    """A shell that answers nothing: it stops a probe at its first command and says what it was."""

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT, merge: bool = True) -> CommandResult:
        raise _First((command, timeout, merge))

    def run_script(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> CommandResult:
        raise _First(None)


def first_command(name: str, args: Mapping[str, object]) -> tuple[str, float, bool] | None:
    """The first command probe ``name`` runs with ``args`` — (command, timeout, merge), as
    ``Shell.run`` takes them — found by running it on a shell that answers nothing; ``None`` when it
    cannot be known ahead: a script first, or a read in the kernel view (each carries a fresh token).
    A probe's first command depends on its arguments only, so it can be sent before the probe runs
    (``ShellSession.run_many``), together with the other checks' first commands."""
    try:
        REGISTRY[name].func(_Answered(_Dry()), **args)
    except _First as first:
        request = first.request
        return None if request is None or request[0].startswith(KERNEL_VIEW + " ") else request
    except Exception:  # a probe that fails before it runs anything fails again, live
        return None
    return None


def run_probe(shell: Shell, name: str, args: Mapping[str, object]) -> Verdict:
    """Run probe ``name``; arguments are assumed valid (the linter checked them). What was seen is
    capped at ``SEEN_LIMIT`` characters; a command without an answer makes the verdict "not judged"."""
    spec = REGISTRY[name]
    try:
        verdict = spec.func(_Answered(shell), **args)
    except NoAnswer as exc:
        return Verdict.not_judged(spec.summary, exc.reason, exc.result.output[-2000:], exc.result.refused)
    except KernelViewProblem as exc:  # something mounted over a kernel file it reads (a FAIL), or no view
        return Verdict(False, spec.summary, exc.message, judged=exc.judged)
    if len(verdict.seen) > SEEN_LIMIT:
        return Verdict(
            verdict.passed, verdict.expected, cap(verdict.seen), verdict.evidence, verdict.judged, verdict.refused
        )
    return verdict
