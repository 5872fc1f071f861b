"""``lpic3 progress``: per objective, answered questions, accuracy, due reviews, labs passed and due
again; the last exam."""

from __future__ import annotations

import argparse
import json
import sys

from trainer.commands.store import open_store
from trainer.commands.tree import open_curriculum
from trainer.study.progress import last_exam_score, objective_progress
from trainer.study.review import labs_due_now


def run(args: argparse.Namespace) -> int:
    cur = open_curriculum(args.path)
    store = open_store()
    rows = objective_progress(cur, store)
    last = last_exam_score(store)
    known = {e.id for e in cur.exercises}
    due_labs = [lab for lab in labs_due_now(store) if lab in known]
    store.close()
    if args.json:
        json.dump(
            {"objectives": [r.to_json() for r in rows], "labs_due": due_labs, "last_exam": last}, sys.stdout, indent=2
        )
        print()
        return 0
    print(f"{'objective':<44} {'answered':>9} {'accuracy':>9} {'due':>4}  lesson {'labs':>6} {'due':>4}")
    for r in rows:
        accuracy = "-" if r.accuracy is None else f"{r.accuracy:.0f} %"
        title = cur.objectives[r.objective].title[:36]
        print(
            f"{r.objective} {title:<38} {f'{r.answered}/{r.questions}':>9} {accuracy:>9} {r.due:>4}  "
            f"{'read' if r.lesson_read else '-':<6} {f'{r.labs_passed}/{r.labs}':>6} {r.labs_due:>4}"
        )
    if due_labs:
        print(f"labs due to be done again (new values each time): {', '.join(due_labs)}")
    if last:
        print(
            f"last mock exam: {last['correct']}/{last['total']} ({last['percent']} %), "
            f"estimated score {last['scaled_estimate']}"
        )
    return 0
