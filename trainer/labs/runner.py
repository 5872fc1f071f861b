"""Running an exercise's steps on a target's shell: scripts, checks (with settling), requirements.

A check has three outcomes (``checkers.probes``): pass, fail, and not judged (the target gave no
answer in time, or none that can be trusted: ``refusal``). A run of all checks is judged the same
way by ``outcome``: a FAIL is only a real failure, and a run in which nothing failed but something
was not judged is "not judged".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from checkers import lablib
from checkers.detect import detect
from checkers.privdir import make_workdir_script, remove_workdir_script
from checkers.probes import FAIL, NOT_JUDGED, PASS, Verdict, first_command, run_probe
from checkers.record import Ran
from checkers.session import Request, ShellSession
from checkers.shell import COMMAND_TIMEOUT, SCRIPT_TIMEOUT, CommandResult, Shell
from trainer.curriculum.exercises import WORKDIR
from trainer.curriculum.model import Check, Exercise
from trainer.labs.render import render, render_args, render_shell

SETTLE_INTERVAL = 0.5


class ScriptFailed(Exception):
    """A lab's own script (setup, solution, reset, a wrong answer) failed: the lab or target is broken."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: Check
    verdict: Verdict
    waited: float = 0.0
    hint: str = ""  # the check's hint with the attempt's values
    commands: tuple[Ran, ...] = ()  # what the check ran on the target, when it was explained (--explain)

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def outcome(self) -> str:
        """PASS, FAIL or NOT_JUDGED."""
        return self.verdict.outcome

    def to_json(self) -> dict[str, object]:
        v = self.verdict
        return {
            "id": self.check.id,
            "outcome": v.outcome,
            "passed": v.passed,
            "expected": v.expected,
            "seen": v.seen,
            "hint": self.hint if v.outcome == FAIL else None,
            "waited": round(self.waited, 1),
        }


def outcome(results: list[CheckResult]) -> str:
    """The outcome of a run of checks: FAIL if any check failed, else NOT_JUDGED if any was not judged,
    else PASS. A timeout never makes a run fail, and never lets it pass."""
    outcomes = {r.outcome for r in results}
    return FAIL if FAIL in outcomes else NOT_JUDGED if NOT_JUDGED in outcomes else PASS


def refusal(results: list[CheckResult]) -> str:
    """Why checks were not judged when it was not a timeout: the first reason the session refused an
    answer (the real tool missing or not trusted, /etc/ld.so.preload set); "" when there is none."""
    return next((r.verdict.refused for r in results if r.verdict.refused), "")


def run_script(shell: Shell, name: str, script: str, values: dict[str, str]) -> None:
    """Run one of the lab's scripts, with the lab library (``checkers.lablib``) defined in front of it.
    The attempt's working folder (``{{workdir}}``) and its records are the runner's part: made
    private and new before ``setup``; every process a script other than reset leaves running is
    recorded when it ends; after the lab's own ``reset`` every recorded process still running is
    stopped, and the records and the working folder are removed."""
    text, workdir = render_shell(script, values), values.get(WORKDIR)
    if not workdir and not text.strip():
        return
    head, tail = lablib.preamble(workdir), ""
    if workdir and name == "setup":
        head += make_workdir_script(workdir) + lablib.make_records_script()
    if workdir and name == "reset":
        tail = f"\n{lablib.sweep_script()}{remove_workdir_script(workdir)}"
    elif workdir:
        head += lablib.RECORD_LEFT
    result = shell.run_script(head + text + tail, timeout=SCRIPT_TIMEOUT)
    if result.timed_out:
        raise ScriptFailed(f"{name} got no answer in time: {result.output.strip()[-500:]}")
    if result.status != 0:
        raise ScriptFailed(f"{name} exited {result.status}: {result.output.strip()[-500:]}")


def run_check(shell: Shell, check: Check, values: dict[str, str], settle: bool = True) -> CheckResult:
    """One check; with ``settle`` a failing check with ``wait`` is retried until it passes or time is up
    (a check that was not judged is not retried: its command already had its whole budget)."""
    args = render_args(check.probe, check.args, values)
    start = time.monotonic()
    verdict = run_probe(shell, check.probe, args)
    while settle and verdict.outcome == FAIL and time.monotonic() - start < check.wait:
        time.sleep(SETTLE_INTERVAL)
        verdict = run_probe(shell, check.probe, args)
    waited = time.monotonic() - start if check.wait else 0.0
    if verdict.outcome == FAIL and settle and check.wait:
        verdict = Verdict(False, verdict.expected, f"{verdict.seen} (waited {waited:.0f} s for it)", verdict.evidence)
    return CheckResult(check, verdict, waited, render(check.hint, values))


def run_checks(exercise: Exercise, shell: Shell, values: dict[str, str], settle: bool = True) -> list[CheckResult]:
    """Every check, always all of them: the learner sees each verdict, not just the first failure."""
    shells = ask_ahead(shell, exercise.checks, values)
    return [run_check(each, check, values, settle) for each, check in zip(shells, exercise.checks, strict=True)]


class _Answered:
    """The shell a check runs on once its first command was asked ahead: that command's answer is
    given once (a settling retry asks again, live), everything else goes to the session."""

    def __init__(self, shell: Shell, request: Request, answer: CommandResult) -> None:
        self.shell, self.request = shell, request
        self.answer: CommandResult | None = answer

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT, merge: bool = True) -> CommandResult:
        answer, self.answer = self.answer, None
        if answer is not None and (command, merge) == (self.request[0], self.request[2]):
            return answer
        return self.shell.run(command, timeout, merge)

    def run_script(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> CommandResult:
        return self.shell.run_script(script, timeout)


def ask_ahead(shell: Shell, checks: Sequence[Check], values: dict[str, str]) -> list[Shell]:
    """One shell per check to run it on: on a ``ShellSession`` the first command of every check is
    sent at once (``run_many``: one round trip for the lab, not one per check; the same command
    once), and each check gets its answer; a command that could not be asked ahead runs live."""
    if not isinstance(shell, ShellSession):
        return [shell for _ in checks]
    firsts = [first_command(check.probe, render_args(check.probe, check.args, values)) for check in checks]
    asked = list(dict.fromkeys(request for request in firsts if request is not None))
    answers = dict(zip(asked, shell.run_many(asked), strict=True))
    return [
        shell if request is None or (answer := answers[request]) is None else _Answered(shell, request, answer)
        for request in firsts
    ]


def missing_requirements(exercise: Exercise, shell: Shell) -> list[str]:
    """Why the lab cannot run on this target, one reason per missing feature; empty when it can."""
    return [f"{f.name}: {f.reason}" for f in detect(shell, list(exercise.requires)).values() if not f.available]
