"""The lab commands: ``labs``, ``lab show|start|check|hint|reset|solve|selftest|shell`` and ``doctor``.

Thin on purpose: the lab service (``trainer.labservice``) does the work, the same as in the TUI;
these functions print. Errors are raised (``trainer.errors``) and ``cli.main`` prints them.

Exit status of ``lab check``: 0 every check passed; 1 a check failed (a real failure: the state is
not what the task asks); 2 the lab cannot run here (missing features, unreachable target, not
started), or no check failed but some were not judged because the target gave no answer in time
(a busy machine, a slow VM: check again) or because the real tools cannot be trusted there (one is
missing or someone else may change it, /etc/ld.so.preload is set): nothing is recorded then.
Commands that change the target (start, reset, solve --apply, selftest) ask first unless the target
is a sandbox or ``--yes`` is given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from checkers.probes import FAIL, NOT_JUDGED, PASS
from trainer.commands.store import open_store
from trainer.commands.tree import open_curriculum
from trainer.curriculum.model import Curriculum, Exercise
from trainer.errors import TargetError, UsageError
from trainer.labs.runner import refusal
from trainer.labservice import Consent, Lab, choose_target, features, passed_labs, self_test, target_option
from trainer.sandbox.files import SandboxFiles
from trainer.sandbox.rootless import how_to_build

EXIT = {PASS: 0, FAIL: 1}
LABELS = {PASS: "PASS", FAIL: "FAIL", NOT_JUDGED: "NOT JUDGED"}


def run(args: argparse.Namespace) -> int:
    cur = open_curriculum(args.path)
    if isinstance(cur, int):
        return cur
    if args.command == "labs":
        return list_labs(cur, args)
    if args.command == "doctor":
        return doctor(cur, args)
    return ACTIONS[args.lab_command](cur, args)


def _exercise(cur: Curriculum, exercise_id: str) -> Exercise:
    for exercise in cur.exercises:
        if exercise.id == exercise_id:
            return exercise
    raise UsageError(f"no lab {exercise_id!r} (`lpic3 labs` lists them)")


def _consent(args: argparse.Namespace) -> Consent:
    """Consent on the terminal: --yes, or a y at the prompt; without a terminal, --yes is needed."""

    def ask(change: str) -> bool:
        if getattr(args, "yes", False):
            return True
        if not sys.stdin.isatty():
            raise TargetError(f"{change}: add --yes to allow it")
        return input(f"{change}. Continue? [y/N] ").strip().lower() in ("y", "yes")

    return ask


@contextmanager
def _lab(cur: Curriculum, args: argparse.Namespace) -> Iterator[Lab]:
    exercise, target = _exercise(cur, args.id), choose_target(args.target)
    store = open_store()
    lab = Lab(exercise, target, store, _consent(args))
    try:
        yield lab
    finally:
        lab.close()
        store.close()


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2)
    print()


def list_labs(cur: Curriculum, args: argparse.Namespace) -> int:
    store = open_store()
    try:
        passed = passed_labs(store)
    finally:
        store.close()
    if args.json:
        _print_json(
            [
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
        )
        return 0
    for e in cur.exercises:
        mark = "done" if e.id in passed else "    "
        print(f"{mark} {e.id:<32} {e.title[:44]:<44} needs {', '.join(e.requires) or '-'}")
    return 0


def show(cur: Curriculum, args: argparse.Namespace) -> int:
    with _lab(cur, args) as lab:
        attempt, task, exercise = lab.attempt(), lab.task(), lab.exercise
    if args.json:
        _print_json(
            {
                "id": exercise.id,
                "title": exercise.title,
                "objective": exercise.objective,
                "task": task,
                "requires": list(exercise.requires),
                "params": attempt.params if attempt else {},
                "seed": attempt.seed if attempt else None,
                "started": attempt is not None,
            }
        )
        return 0
    print(f"# {exercise.title} ({exercise.id}, objective {exercise.objective})\n\n{task.strip()}\n")
    if attempt is None:
        print(f"Start it with: lpic3 lab start {exercise.id}{target_option(lab.target)}")
    return 0


def start(cur: Curriculum, args: argparse.Namespace) -> int:
    with _lab(cur, args) as lab:
        lab.start(args.seed)
        print(
            f"# {lab.exercise.title}\n\n{lab.task().strip()}\n\n"
            f"When done: lpic3 lab check {lab.exercise.id}{target_option(lab.target)}"
        )
    return 0


def check(cur: Curriculum, args: argparse.Namespace) -> int:
    with _lab(cur, args) as lab:
        results, outcome = lab.check(explain=args.explain)
    if args.json:
        _print_json(
            {
                "id": lab.exercise.id,
                "target": lab.target.spec,
                "outcome": outcome,
                "passed": outcome == PASS,
                "checks": [
                    r.to_json() | ({"commands": [c.to_json() for c in r.commands]} if args.explain else {})
                    for r in results
                ],
            }
        )
    else:
        for r in results:
            if args.explain:
                print(f"check {r.check.id} ({r.check.probe}) ran on {lab.target.description}:")
                for ran in r.commands:
                    print("\n".join(f"  {line}" for line in ran.lines()))
            print(f"{LABELS[r.outcome]:<10} {r.check.id}: expected {r.verdict.expected}; seen {r.verdict.seen}")
            if r.outcome == FAIL:
                print(f"{'':<10} hint: {r.hint}")
            if args.explain:
                print()
        print(f"{sum(r.outcome == PASS for r in results)}/{len(results)} checks passed")
    if outcome == NOT_JUDGED:
        unjudged = sum(r.outcome == NOT_JUDGED for r in results)
        if why := refusal(results):
            raise TargetError(f"{unjudged} check(s) not judged: {why}; nothing was recorded")
        raise TargetError(
            f"{unjudged} check(s) not judged: {lab.target.description} gave no answer in time; "
            "nothing was recorded, check again"
        )
    return EXIT[outcome]


def hint(cur: Curriculum, args: argparse.Namespace) -> int:
    with _lab(cur, args) as lab:
        hints = lab.next_hints()
        total = len(lab.exercise.hints)
    if not total:
        print("This lab has no general hints; a failing check shows its own.")
    for number, text in enumerate(hints, 1):
        print(f"hint {number}/{total}: {text}")
    return 0


def reset(cur: Curriculum, args: argparse.Namespace) -> int:
    with _lab(cur, args) as lab:
        if args.machine:
            seconds = lab.reset_machine(lambda line: print(line, flush=True))
            print(
                f"the sandbox is a clean machine again ({seconds:.0f} s); "
                f"set the lab up: lpic3 lab start {lab.exercise.id}"
            )
            return 0
        lab.reset(lab.started().params)
        print(f"lab {lab.exercise.id} reset on {lab.target.description}")
    return 0


def solve(cur: Curriculum, args: argparse.Namespace) -> int:
    with _lab(cur, args) as lab:
        print(lab.solution())
        if args.apply:
            lab.apply_solution(lab.started().params)
            print(f"(applied on {lab.target.description})")
    return 0


def shell(cur: Curriculum, args: argparse.Namespace) -> int:
    """An interactive shell where the started attempt runs, in its working folder; the shell's exit
    status is the command's."""
    with _lab(cur, args) as lab:
        argv, folder = lab.login_shell()
        print(
            f"lab {lab.exercise.id}: a shell on {lab.target.description}, in the lab's working folder; "
            "exit (or Ctrl-D) comes back",
            flush=True,
        )
    try:
        return subprocess.run(argv, cwd=folder, check=False).returncode
    except OSError as exc:
        raise TargetError(f"cannot start a shell on {lab.target.description}: {exc.strerror}") from None


def run_selftest(cur: Curriculum, args: argparse.Namespace) -> int:
    target = choose_target(args.target)
    chosen = cur.exercises if args.all or not args.ids else [_exercise(cur, i) for i in args.ids]
    reports = self_test(target, chosen, _consent(args), args.seed)
    failed = [r for r in reports if r["ok"] is False]
    if args.json:
        _print_json({"target": target.spec, "reports": reports, "failed": len(failed)})
        return 1 if failed else 0
    for r in reports:
        state = "skip" if r["ok"] is None else ("ok  " if r["ok"] else "FAIL")
        print(f"{state} {r['exercise']}" + (f": cannot run ({r['skipped']})" if r["ok"] is None else ""))
        for failure in r.get("failures") or []:  # type: ignore[attr-defined]
            print(f"     {failure}")
    ran = sum(r["ok"] is not None for r in reports)
    print(f"{ran - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def doctor(cur: Curriculum, args: argparse.Namespace) -> int:
    target = choose_target(args.target)
    found = features(target)
    runnable = [e.id for e in cur.exercises if all(found[n].available for n in e.requires)]
    files = SandboxFiles.default()
    sandbox = {"built": files.built, "folder": str(files.root), "build": how_to_build()}
    if args.json:
        _print_json(
            {
                "target": target.spec,
                "features": {n: {"available": f.available, "reason": f.reason} for n, f in found.items()},
                "labs_runnable": runnable,
                "labs_total": len(cur.exercises),
                "sandbox": sandbox,
            }
        )
        return 0
    print(f"target: {target.description}")
    for name, feature in found.items():
        print(f"  {'yes' if feature.available else 'no '}  {name:<13} {feature.reason}")
    print(f"{len(runnable)} of {len(cur.exercises)} labs can run here")
    built = f"built in {files.root}" if files.built else "not built"
    print(f"sandbox VM: {built}; `lpic3 sandbox build` makes it here {sandbox['build']}")
    return 0


ACTIONS = {
    "show": show,
    "start": start,
    "check": check,
    "hint": hint,
    "reset": reset,
    "solve": solve,
    "selftest": run_selftest,
    "shell": shell,
}
