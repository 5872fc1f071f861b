"""The lab commands: ``labs``, ``lab show|start|check|hint|reset|solve|selftest`` and ``doctor``.

Exit status of ``lab check``: 0 every check passed, 1 a check failed, 2 the lab cannot run here
(missing features, unreachable target, not started). Commands that change the target (start,
reset, solve, selftest) ask first unless the target is a sandbox or ``--yes`` is given.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from checkers.detect import detect
from checkers.session import SessionError, ShellSession
from checkers.targets import Target, TargetError, parse_target
from trainer.commands.store import open_store
from trainer.commands.tree import open_curriculum
from trainer.curriculum.model import Curriculum, Exercise
from trainer.errors import TargetError as LabTargetError
from trainer.labs.render import choose_params, render
from trainer.labs.runner import ScriptFailed, missing_requirements, run_checks, run_script
from trainer.labs.selftest import selftest
from trainer.study.store import LabAttempts, Store

PASS, FAIL, CANNOT = 0, 1, 2


class CannotRun(LabTargetError):
    """The lab cannot run: the message says why, in one line."""


def run(args: argparse.Namespace) -> int:
    cur = open_curriculum(args.path)
    if isinstance(cur, int):
        return cur
    try:
        if args.command == "labs":
            return list_labs(cur, args)
        if args.command == "doctor":
            return doctor(cur, args)
        return ACTIONS[args.lab_command](cur, args)
    except CannotRun as exc:
        print(f"lpic3: cannot run: {exc}", file=sys.stderr)
        return CANNOT


def _exercise(cur: Curriculum, exercise_id: str) -> Exercise:
    for exercise in cur.exercises:
        if exercise.id == exercise_id:
            return exercise
    raise CannotRun(f"no lab {exercise_id!r} (`lpic3 labs` lists them)")


def _target(args: argparse.Namespace) -> Target:
    """The target asked for; without --target the sandbox VM when it is up, else this machine."""
    from trainer.sandbox.files import SandboxFiles
    from trainer.sandbox.vm import running_pid, sandbox_target

    spec = getattr(args, "target", None)
    if spec == "sandbox" or (spec is None and running_pid(SandboxFiles.default())):
        if not running_pid(SandboxFiles.default()):
            raise CannotRun("the sandbox VM is not running: `lpic3 sandbox up`")
        return sandbox_target()
    try:
        return parse_target(spec or "local")
    except TargetError as exc:
        raise CannotRun(str(exc)) from None


@contextmanager
def _session(target: Target) -> Iterator[ShellSession]:
    try:
        with target.session() as session:
            yield session
    except SessionError as exc:
        raise CannotRun(str(exc)) from None


def _consent(target: Target, what: str, args: argparse.Namespace) -> None:
    """Changing a machine that is not a throw-away sandbox needs a yes."""
    if target.sandbox or getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise CannotRun(f"{what} changes {target.description}; add --yes to allow it")
    answer = input(f"{what} will change {target.description}. Continue? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CannotRun("not confirmed")


def _requirements(exercise: Exercise, session: ShellSession, target: Target) -> None:
    missing = missing_requirements(exercise, session)
    if missing:
        raise CannotRun(f"{exercise.id} cannot run on {target.description} because " + "; ".join(missing))


def _store() -> tuple[Store, LabAttempts]:
    store = open_store()
    return store, LabAttempts(store)


def list_labs(cur: Curriculum, args: argparse.Namespace) -> int:
    store, attempts = _store()
    passed = attempts.passed_exercises()
    store.close()
    rows = [
        {
            "id": e.id,
            "objective": e.objective,
            "title": e.title,
            "requires": list(e.requires),
            "checks": len(e.checks),
            "passed": e.id in passed,
        }
        for e in cur.exercises
    ]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return PASS
    for row in rows:
        mark = "done" if row["passed"] else "    "
        print(f"{mark} {row['id']:<32} {row['title'][:44]:<44} needs {', '.join(row['requires']) or '-'}")
    return PASS


def show(cur: Curriculum, args: argparse.Namespace) -> int:
    exercise = _exercise(cur, args.id)
    store, attempts = _store()
    attempt = attempts.current(exercise.id, _target(args).spec)
    store.close()
    values = attempt.params if attempt else {}
    task = render(exercise.task, values) if attempt or not exercise.params else exercise.task
    if args.json:
        json.dump(
            {
                "id": exercise.id,
                "title": exercise.title,
                "objective": exercise.objective,
                "task": task,
                "requires": list(exercise.requires),
                "params": values,
                "started": attempt is not None,
            },
            sys.stdout,
            indent=2,
        )
        print()
        return PASS
    print(f"# {exercise.title} ({exercise.id}, objective {exercise.objective})\n\n{task.strip()}\n")
    if attempt is None:
        print(f"Start it with: lpic3 lab start {exercise.id}")
    return PASS


def start(cur: Curriculum, args: argparse.Namespace) -> int:
    exercise, target = _exercise(cur, args.id), _target(args)
    with _session(target) as session:
        _requirements(exercise, session, target)
        _consent(target, f"Starting lab {exercise.id}", args)
        values = choose_params(exercise, random.Random(args.seed))
        try:
            run_script(session, "reset", exercise.reset, values)
            run_script(session, "setup", exercise.setup, values)
        except ScriptFailed as exc:
            raise CannotRun(f"the lab's {exc}") from None
    store, attempts = _store()
    attempts.start(exercise.id, target.spec, values)
    store.close()
    print(
        f"# {exercise.title}\n\n{render(exercise.task, values).strip()}\n\n"
        f"When done: lpic3 lab check {exercise.id}" + (f" --target {target.spec}" if target.spec != "local" else "")
    )
    return PASS


def _attempt_values(exercise: Exercise, target: Target) -> tuple[Store, LabAttempts, int, dict[str, str]]:
    store, attempts = _store()
    attempt = attempts.current(exercise.id, target.spec)
    if attempt is None:
        store.close()
        raise CannotRun(f"lab {exercise.id} was not started on {target.description}: lpic3 lab start {exercise.id}")
    return store, attempts, attempt.id, attempt.params


def check(cur: Curriculum, args: argparse.Namespace) -> int:
    exercise, target = _exercise(cur, args.id), _target(args)
    store, attempts, attempt_id, values = _attempt_values(exercise, target)
    try:
        with _session(target) as session:
            _requirements(exercise, session, target)
            results = run_checks(exercise, session, values)
        passed = all(r.passed for r in results)
        attempts.record_check(attempt_id, passed, [r.to_json() for r in results])
    finally:
        store.close()
    if args.json:
        json.dump(
            {"id": exercise.id, "target": target.spec, "passed": passed, "checks": [r.to_json() for r in results]},
            sys.stdout,
            indent=2,
        )
        print()
    else:
        for r in results:
            print(
                f"{'PASS' if r.passed else 'FAIL'}  {r.check.id}: expected {r.verdict.expected}; seen {r.verdict.seen}"
            )
            if not r.passed:
                print(f"      hint: {render(r.check.hint, values)}")
        print(f"{sum(r.passed for r in results)}/{len(results)} checks passed")
    return PASS if passed else FAIL


def hint(cur: Curriculum, args: argparse.Namespace) -> int:
    exercise, target = _exercise(cur, args.id), _target(args)
    store, attempts, attempt_id, values = _attempt_values(exercise, target)
    if not exercise.hints:
        print("This lab has no general hints; a failing check shows its own.")
    else:
        shown = min(attempts.next_hint(attempt_id), len(exercise.hints))
        for number, text in enumerate(exercise.hints[:shown], 1):
            print(f"hint {number}/{len(exercise.hints)}: {render(text, values)}")
    store.close()
    return PASS


def _apply(target: Target, args: argparse.Namespace, what: str, name: str, script: str, values: dict[str, str]) -> None:
    """Run one of the lab's scripts on the target, after consent; a failing script cannot run here."""
    with _session(target) as session:
        _consent(target, what, args)
        try:
            run_script(session, name, script, values)
        except ScriptFailed as exc:
            raise CannotRun(f"the lab's {exc}") from None


def reset(cur: Curriculum, args: argparse.Namespace) -> int:
    exercise, target = _exercise(cur, args.id), _target(args)
    if args.machine:
        return _reset_machine(exercise, target)
    store, _, _, values = _attempt_values(exercise, target)
    store.close()
    _apply(target, args, f"Resetting lab {exercise.id}", "reset", exercise.reset, values)
    print(f"lab {exercise.id} reset on {target.description}")
    return PASS


def _reset_machine(exercise: Exercise, target: Target) -> int:
    """The sandbox's own reset instead of the lab's: the overlay is dropped, so everything done
    inside the VM (by the lab, by the learner, by anything else) is gone, not just what the
    lab's reset script knows about."""
    from trainer.sandbox.files import SandboxFiles
    from trainer.sandbox.vm import SandboxError
    from trainer.sandbox.vm import reset as reset_sandbox

    if target.spec != "sandbox":
        raise CannotRun(f"--machine resets lpic3's sandbox VM, and the target is {target.description}")
    try:
        seconds = reset_sandbox(SandboxFiles.default(), lambda line: print(line, flush=True))
    except SandboxError as exc:
        raise CannotRun(f"the sandbox could not be reset: {exc}") from None
    print(f"the sandbox is a clean machine again ({seconds:.0f} s); set the lab up: lpic3 lab start {exercise.id}")
    return PASS


def solve(cur: Curriculum, args: argparse.Namespace) -> int:
    exercise, target = _exercise(cur, args.id), _target(args)
    store, _, _, values = _attempt_values(exercise, target)
    store.close()
    print(render(exercise.solution, values).rstrip())
    if args.apply:
        _apply(target, args, f"Applying the solution of {exercise.id}", "solution", exercise.solution, values)
        print(f"(applied on {target.description})")
    return PASS


def run_selftest(cur: Curriculum, args: argparse.Namespace) -> int:
    target = _target(args)
    chosen = cur.exercises if args.all or not args.ids else [_exercise(cur, i) for i in args.ids]
    reports = []
    with _session(target) as session:
        _consent(target, f"The self-test of {len(chosen)} lab(s)", args)
        available = detect(session)
        for exercise in chosen:
            missing = [f"{n}: {available[n].reason}" for n in exercise.requires if not available[n].available]
            if missing:
                reports.append({"exercise": exercise.id, "ok": None, "skipped": "; ".join(missing)})
                continue
            values = choose_params(exercise, random.Random(args.seed))
            reports.append(selftest(exercise, session, values).to_json() | {"params": values})
    failed = [r for r in reports if r["ok"] is False]
    if args.json:
        json.dump({"target": target.spec, "reports": reports, "failed": len(failed)}, sys.stdout, indent=2)
        print()
    else:
        for r in reports:
            state = "skip" if r["ok"] is None else ("ok  " if r["ok"] else "FAIL")
            print(f"{state} {r['exercise']}" + (f": cannot run ({r['skipped']})" if r["ok"] is None else ""))
            for failure in r.get("failures", []):
                print(f"     {failure}")
        ran = sum(r["ok"] is not None for r in reports)
        print(f"{ran - len(failed)} passed, {len(failed)} failed")
    return FAIL if failed else PASS


def doctor(cur: Curriculum, args: argparse.Namespace) -> int:
    target = _target(args)
    with _session(target) as session:
        features = detect(session)
    runnable = [e.id for e in cur.exercises if all(features[n].available for n in e.requires)]
    if args.json:
        json.dump(
            {
                "target": target.spec,
                "features": {n: {"available": f.available, "reason": f.reason} for n, f in features.items()},
                "labs_runnable": runnable,
                "labs_total": len(cur.exercises),
            },
            sys.stdout,
            indent=2,
        )
        print()
        return PASS
    print(f"target: {target.description}")
    for name, feature in features.items():
        print(f"  {'yes' if feature.available else 'no '}  {name:<13} {feature.reason}")
    print(f"{len(runnable)} of {len(cur.exercises)} labs can run here")
    return PASS


ACTIONS = {
    "show": show,
    "start": start,
    "check": check,
    "hint": hint,
    "reset": reset,
    "solve": solve,
    "selftest": run_selftest,
}
