"""The lab contract, proved on a real target (DESIGN.md): setup, check must fail, every known wrong
answer must fail on the checks it names, the solution must pass, and after reset the check must fail
again. A false pass or a false fail is the worst bug a lab trainer can have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checkers.probes import Verdict, run_probe
from checkers.shell import Shell
from trainer.curriculum.model import Exercise
from trainer.labs.render import render, render_args

SCRIPT_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    check_id: str
    verdict: Verdict


@dataclass(slots=True)
class SelfTestReport:
    exercise: str
    failures: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class ScriptFailed(Exception):
    """A lab's own script (setup, solution, reset, a wrong answer) failed: the lab is broken."""


def run_script(shell: Shell, name: str, script: str, values: dict[str, str]) -> None:
    if not script.strip():
        return
    result = shell.run("set -e\n" + render(script, values), timeout=SCRIPT_TIMEOUT)
    if result.status != 0:
        raise ScriptFailed(f"{name} exited {result.status}: {result.output.strip()[-500:]}")


def run_checks(exercise: Exercise, shell: Shell, values: dict[str, str]) -> list[CheckResult]:
    """Every check, always all of them: the learner sees each verdict, not just the first failure."""
    return [CheckResult(c.id, run_probe(shell, c.probe, render_args(c.args, values))) for c in exercise.checks]


def selftest(exercise: Exercise, shell: Shell, values: dict[str, str]) -> SelfTestReport:
    report = SelfTestReport(exercise.id)

    def fresh() -> None:
        run_script(shell, "reset", exercise.reset, values)
        run_script(shell, "setup", exercise.setup, values)

    def passed(results: list[CheckResult]) -> dict[str, bool]:
        return {r.check_id: r.verdict.passed for r in results}

    try:
        fresh()
        if all(passed(run_checks(exercise, shell, values)).values()):
            report.failures.append("after setup, before any work, every check passed")
        report.steps.append("setup: check fails")
        for wrong in exercise.wrong_answers:
            fresh()
            run_script(shell, f"wrong answer {wrong.name!r}", wrong.script, values)
            verdicts = passed(run_checks(exercise, shell, values))
            missed = [cid for cid in wrong.fails if verdicts.get(cid, True)]
            if missed:
                report.failures.append(f"wrong answer {wrong.name!r} passed check(s) {', '.join(missed)}")
            report.steps.append(f"wrong answer {wrong.name!r}: caught by {', '.join(wrong.fails)}")
        fresh()
        run_script(shell, "solution", exercise.solution, values)
        failing = [cid for cid, ok in passed(run_checks(exercise, shell, values)).items() if not ok]
        if failing:
            report.failures.append(f"the reference solution failed check(s) {', '.join(failing)}")
        report.steps.append("solution: check passes")
        run_script(shell, "reset", exercise.reset, values)
        if all(passed(run_checks(exercise, shell, values)).values()):
            report.failures.append("after reset every check still passed")
        report.steps.append("reset: check fails again")
    except ScriptFailed as exc:
        report.failures.append(str(exc))
    finally:
        try:
            run_script(shell, "reset", exercise.reset, values)
        except ScriptFailed as exc:
            report.failures.append(f"final {exc}")
    return report
