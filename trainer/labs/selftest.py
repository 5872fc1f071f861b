"""The lab contract, proved on a real target (docs/design.md): setup, check must fail, every known wrong
answer must fail on the checks it names, every listed alternative solution and the reference solution
must pass, and after reset the check must fail again. A false pass or a false fail is the worst bug a
lab trainer can have. A check that was not judged (no answer in time) proves nothing either way: it is
reported as a failure of the self-test."""

from __future__ import annotations

from dataclasses import dataclass, field

from checkers.probes import NOT_JUDGED, PASS
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

    seen: dict[str, str] = {}

    def passed(step: str, settle: bool = False) -> dict[str, bool]:
        """Each check's verdict, pass or not; a check not judged is a failure of the self-test itself.
        What each check saw is kept, so a failure names it: a self-test that fails in CI is then
        explained by its report alone."""
        results = run_checks(exercise, shell, values, settle=settle)
        for r in results:
            seen[r.check.id] = r.verdict.seen
            if r.outcome == NOT_JUDGED:
                report.failures.append(f"{step}: check {r.check.id} was not judged ({r.verdict.seen})")
        return {r.check.id: r.outcome == PASS for r in results if r.outcome != NOT_JUDGED}

    def named(ids: list[str]) -> str:
        return "; ".join(f"{cid} (saw: {seen[cid].strip()[:300]})" for cid in ids)

    def all_pass(verdicts: dict[str, bool]) -> bool:
        return len(verdicts) == len(exercise.checks) and all(verdicts.values())

    try:
        fresh()
        if all_pass(passed("after setup")):
            report.failures.append("after setup, before any work, every check passed")
        report.steps.append("setup: check fails")
        for wrong in exercise.wrong_answers:
            fresh()
            run_script(shell, f"wrong answer {wrong.name!r}", wrong.script, values)
            verdicts = passed(f"wrong answer {wrong.name!r}")
            missed = [cid for cid in wrong.fails if verdicts.get(cid, False)]
            if missed:
                report.failures.append(f"wrong answer {wrong.name!r} passed check(s) {named(missed)}")
            report.steps.append(f"wrong answer {wrong.name!r}: caught by {', '.join(wrong.fails)}")
        for alternative in exercise.alternatives:
            fresh()
            step = f"alternative {alternative.name!r}"
            run_script(shell, step, alternative.script, values)
            failing = [cid for cid, ok in passed(step, settle=True).items() if not ok]
            if failing:
                report.failures.append(f"{step} (a correct solution) failed check(s) {named(failing)}")
            report.steps.append(f"{step}: check passes")
        fresh()
        run_script(shell, "solution", exercise.solution, values)
        failing = [cid for cid, ok in passed("solution", settle=True).items() if not ok]
        if failing:
            report.failures.append(f"the reference solution failed check(s) {named(failing)}")
        report.steps.append("solution: check passes")
        run_script(shell, "reset", exercise.reset, values)
        if all_pass(passed("after reset")):
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
