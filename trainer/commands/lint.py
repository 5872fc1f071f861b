"""``lpic3 lint``: load and validate all content, one line per problem, exit 1 on errors."""

from __future__ import annotations

import argparse
import json
import sys

from trainer.commands.tree import load_tree
from trainer.curriculum.balance import balance_problems
from trainer.curriculum.coverage import coverage, coverage_problems
from trainer.curriculum.problems import Severity
from trainer.curriculum.quoting import excerpt, printable
from trainer.errors import UsageError


def run(args: argparse.Namespace) -> int:
    cur = load_tree(args.path)
    if args.objective is not None and args.objective not in cur.objectives:
        raise UsageError(f"--objective: no objective {excerpt(args.objective)} (known: {', '.join(cur.objectives)})")
    problems = cur.problems + coverage_problems(cur, coverage(cur)) + balance_problems(cur)
    if args.objective is not None:
        problems = [p for p in problems if p.objective in (None, args.objective)]
    counts = {s: sum(p.severity is s for p in problems) for s in Severity}
    failed = counts[Severity.ERROR] > 0 or (args.strict and counts[Severity.WARNING] > 0)
    if args.json:
        json.dump(
            {
                "ok": not failed,
                "errors": counts[Severity.ERROR],
                "warnings": counts[Severity.WARNING],
                "notes": counts[Severity.NOTE],
                "questions": len(cur.questions),
                "exercises": len(cur.exercises),
                "lessons": len(cur.lessons),
                "problems": [p.to_json(cur.root) for p in problems],
            },
            sys.stdout,
            indent=2,
        )
        print()
        return 1 if failed else 0
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}
    for problem in sorted(problems, key=lambda p: (order[p.severity], str(p.path), p.line)):
        if problem.severity is not Severity.NOTE or args.notes:
            print(problem.format(cur.root))
    notes = f", {counts[Severity.NOTE]} notes" + (
        "" if args.notes else " (terms no lab touches yet; --notes lists them)"
    )
    print(
        f"{counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings{notes}: "
        f"{len(cur.lessons)} lessons, {len(cur.questions)} questions, {len(cur.exercises)} exercises in "
        + printable(str(cur.root)),
        file=sys.stderr,
    )
    return 1 if failed else 0
