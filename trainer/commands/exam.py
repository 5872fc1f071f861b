"""``lpic3 exam new`` (a paper exam, its key and answer sheet) and ``lpic3 exam grade`` (score a sheet)."""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trainer.commands.tree import open_curriculum
from trainer.errors import Lpic3Error
from trainer.output import write_text
from trainer.study.exam import PoolTooSmall, draw_exam
from trainer.study.paper import answer_sheet, read_sheet, to_json, to_markdown
from trainer.study.paper_html import render_paper_html
from trainer.study.scoring import ESTIMATE_NOTE, score_exam


def run(args: argparse.Namespace) -> int:
    cur = open_curriculum(args.path)
    if args.exam_command == "new":
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
        with _full_exam("cannot draw a full exam"):
            paper = draw_exam(cur, seed)
        title = f"LPIC-3 {cur.exam.code}"
        if args.sheet is not None:
            write_text(Path(args.sheet), answer_sheet(paper), "the answer sheet")
        if args.html is not None:
            write_text(Path(args.html), render_paper_html(paper, title=title, with_key=args.with_key), "the paper")
            key = " and its key" if args.with_key else ""
            print(f"mock exam {paper.seed}{key} written to {args.html} (open it in a browser and print it)")
        elif args.json:
            json.dump(to_json(paper, args.with_key), sys.stdout, indent=2)
            print()
        else:
            print(to_markdown(paper, args.with_key, title))
        return 0
    with _full_exam("cannot rebuild the exam"):
        sheet = read_sheet(Path(args.answers), cur)
    result = score_exam(cur, sheet.paper, sheet.responses)
    if args.json:
        json.dump(
            {
                "seed": sheet.paper.seed,
                **result.to_json(),
                "wrong": [n for n, ok in enumerate(result.correct, 1) if not ok],
            },
            sys.stdout,
            indent=2,
        )
        print()
        return 0
    verdict = "PASS" if result.passed else "FAIL"
    print(
        f"mock exam {sheet.paper.seed}: {result.overall.correct}/{result.overall.total} correct "
        f"({result.overall.percent:.0f} %), estimated score {result.scaled} ({verdict}, pass mark {result.pass_score})"
    )
    print(f"  ({ESTIMATE_NOTE})")
    for oid, tally in result.by_objective.items():
        print(
            f"  {oid} {cur.objectives[oid].title[:40]:<40} {tally.correct:>2}/{tally.total:<2} {tally.percent:5.0f} %"
        )
    wrong = [str(n) for n, ok in enumerate(result.correct, 1) if not ok]
    if wrong:
        print(f"  wrong or blank: {', '.join(wrong)}")
    return 0


@contextmanager
def _full_exam(what: str) -> Iterator[None]:
    """A curriculum too small for a full exam is one line saying what could not be done."""
    try:
        yield
    except PoolTooSmall as exc:
        raise Lpic3Error(f"{what}: {exc.message}") from None
