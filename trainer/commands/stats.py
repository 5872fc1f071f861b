"""``lpic3 stats``: per objective, what exists and which official terms it covers."""

from __future__ import annotations

import argparse
import json
import sys

from trainer.commands.tree import open_curriculum
from trainer.curriculum.coverage import ObjectiveCoverage, coverage
from trainer.curriculum.targets import lesson_word_target, question_target


def run(args: argparse.Namespace) -> int:
    cur = open_curriculum(args.path)
    stats = coverage(cur)
    if args.json:
        rows = []
        for entry in stats.values():
            row = entry.to_json()
            row["targets"] = {
                "lesson_words": lesson_word_target(entry.objective),
                "questions": question_target(entry.objective),
            }
            rows.append(row)
        json.dump(
            {
                "root": str(cur.root),
                "objectives": rows,
                "totals": {
                    "questions": len(cur.questions),
                    "exercises": len(cur.exercises),
                    "lessons": len(cur.lessons),
                },
            },
            sys.stdout,
            indent=2,
        )
        print()
        return 0
    print(
        f"{'objective':<42} {'wt':>2} {'words':>11} {'sgl':>4} {'mul':>4} {'fil':>4} {'questions':>9} "
        f"{'labs':>4}  terms: lesson/questions/labs"
    )
    for entry in stats.values():
        print(_row(entry))
    print(
        f"{'total':<42} {sum(o.weight for o in cur.objectives.values()):>2} "
        f"{sum(e.lesson_words or 0 for e in stats.values()):>11} "
        + " ".join(f"{sum(e.questions[k] for e in stats.values()):>4}" for k in ("single", "multi", "fill"))
        + f" {len(cur.questions):>9} {len(cur.exercises):>4}"
    )
    missing = [
        (oid, where, terms)
        for oid, e in stats.items()
        for where in ("lesson", "questions")
        if (terms := e.missing(where))
    ]
    if missing:
        print("\nterms not covered yet:")
        for oid, where, terms in missing:
            print(f"  {oid} {where}: {', '.join(terms)}")
    return 0


def _row(entry: ObjectiveCoverage) -> str:
    o = entry.objective
    words = f"{entry.lesson_words if entry.lesson_words is not None else '-'}/{lesson_word_target(o)}"
    total = sum(entry.questions.values())
    n = len(entry.terms)
    cover = "/".join(f"{n - len(entry.missing(w))}" for w in ("lesson", "questions", "exercises"))
    return (
        f"{o.id} {o.title[:36]:<36} {o.weight:>2} {words:>11} {entry.questions['single']:>4} "
        f"{entry.questions['multi']:>4} {entry.questions['fill']:>4} {f'{total}/{question_target(o)}':>9} "
        f"{entry.exercises:>4}  {cover} of {n}"
    )
