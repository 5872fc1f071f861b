"""The lab contract, proved on a real target (docs/design.md): setup, check must fail, every known wrong
answer must fail on the checks it names, the solution must pass, and after reset the check must fail
again. A false pass or a false fail is the worst bug a lab trainer can have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checkers.shell import Shell
from trainer.curriculum.model import Exercise
from trainer.labs.runner import ScriptFailed, run_checks, run_script


@dataclass(slots=True)
class SelfTestReport:
    exercise: str
    failures: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, object]:
        return {"exercise": self.exercise, "ok": self.ok, "failures": self.failures, "steps": self.steps}


def selftest(exercise: Exercise, shell: Shell, values: dict[str, str]) -> SelfTestReport:
    report = SelfTestReport(exercise.id)

    def fresh() -> None:
        run_script(shell, "reset", exercise.reset, values)
        run_script(shell, "setup", exercise.setup, values)

    def passed(results: list) -> dict[str, bool]:  # type: ignore[type-arg]
        return {r.check.id: r.passed for r in results}

    try:
        fresh()
        if all(passed(run_checks(exercise, shell, values, settle=False)).values()):
            report.failures.append("after setup, before any work, every check passed")
        report.steps.append("setup: check fails")
        for wrong in exercise.wrong_answers:
            fresh()
            run_script(shell, f"wrong answer {wrong.name!r}", wrong.script, values)
            verdicts = passed(run_checks(exercise, shell, values, settle=False))
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
        if all(passed(run_checks(exercise, shell, values, settle=False)).values()):
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
