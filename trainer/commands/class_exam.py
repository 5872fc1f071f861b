"""``lpic3 class exam new`` (one paper and answer sheet per student) and ``lpic3 class exam grade``
(the class's scores and an item analysis per question). The ``class`` command group calls
``add_parsers`` and ``run``; the work is done in trainer.classroom.exams."""

from __future__ import annotations

import argparse
import sys

_PATH_HELP = "folder holding content/ and exercises/ (default: the bundled curriculum)"


def add_parsers(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``exam`` with its actions ``new`` and ``grade`` to the ``class`` group's actions."""
    exam = actions.add_parser(
        "exam",
        help="one different paper exam per student, graded with an item analysis",
        description="Paper mock exams for a class: a different paper and answer sheet per student, "
        "then the grades and an item analysis of every question.",
    )
    exam_actions = exam.add_subparsers(dest="class_exam_command", metavar="ACTION", required=True)
    new = exam_actions.add_parser(
        "new",
        help="write one paper and answer sheet per student, and the class manifest",
        description="Draw a different 60-question paper per student (by the objectives' weights, "
        "seeded per student from the class seed and the name) and write to a new folder each "
        "student's paper (NAME.paper.md, with --html NAME.paper.html) and answer sheet "
        "(NAME.sheet.yaml), and class-exam.json, which records every paper for grading.",
    )
    who = new.add_mutually_exclusive_group(required=True)
    who.add_argument("-i", "--inventory", metavar="INVENTORY", help="an Ansible inventory: its hosts are the students")
    who.add_argument(
        "--students", metavar="FILE", help="a file with one student name per line (# comments, blank lines skipped)"
    )
    new.add_argument("--limit", metavar="PATTERN", help="with -i: only the hosts this Ansible pattern matches")
    new.add_argument("--out", metavar="DIR", required=True, help="a new (or empty) folder for the class's files")
    new.add_argument("--seed", type=_seed, help="the class seed: the same seed and names give the same papers")
    new.add_argument("--html", action="store_true", help="also write each paper as printable HTML")
    new.add_argument("--path", help=_PATH_HELP)
    grade = exam_actions.add_parser(
        "grade",
        help="grade the filled sheets: scores per student, item analysis per question",
        description="Grade every answer sheet (*.yaml) in DIR against the papers class-exam.json "
        "records: per student the estimated scaled score, pass or fail and the result per "
        "objective; per question the facility, the discrimination and the options chosen.",
    )
    grade.add_argument("dir", metavar="DIR", help="the folder made by `lpic3 class exam new`, with the filled sheets")
    grade.add_argument(
        "--format", choices=("csv", "html", "json"), help="the report's format (default: from -o's suffix, else csv)"
    )
    grade.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (default: standard output)")
    grade.add_argument("--path", help=_PATH_HELP)


def run(args: argparse.Namespace) -> int:
    import random
    from pathlib import Path

    from trainer.classroom.exams import check_names, grade_class, manifest_of, new_class_exam, read_students
    from trainer.commands.tree import open_curriculum
    from trainer.errors import Lpic3Error, UsageError
    from trainer.output import write_text
    from trainer.study.exam import PoolTooSmall

    if args.class_exam_command == "grade":
        manifest_of(Path(args.dir))  # a wrong folder is said before the curriculum is loaded
    cur = open_curriculum(args.path)
    if args.class_exam_command == "new":
        if args.students is not None:
            if args.limit is not None:
                raise UsageError("--limit selects hosts of an inventory (-i), not names of a --students file")
            students = read_students(Path(args.students))
        else:
            from trainer.classroom.inventory import read_inventory

            hosts = read_inventory(args.inventory, args.limit)
            students = check_names([(host.name, Path(args.inventory), 0) for host in hosts])
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
        try:
            exam = new_class_exam(cur, students, Path(args.out), seed, args.html)
        except PoolTooSmall as exc:
            raise Lpic3Error(f"cannot draw a full exam: {exc.message}") from None
        kinds = "paper (Markdown and HTML)" if args.html else "paper"
        print(
            f"class exam {seed}: a {kinds} and an answer sheet for each of {len(exam.papers)} students "
            f"written to {args.out} (grade the filled sheets with `lpic3 class exam grade {args.out}`)"
        )
        return 0
    from trainer.classroom.exam_report import render, summary

    result = grade_class(cur, Path(args.dir))
    form = args.format or _format_of(args.output)
    report = render(result, cur, form)
    if args.output is None:
        sys.stdout.write(report)
        print(summary(result), file=sys.stderr)
    else:
        write_text(Path(args.output), report, "the report")
        print(f"{summary(result)}; report written to {args.output}")
    return 0


def _format_of(output: str | None) -> str:
    suffix = output.rsplit(".", 1)[-1].lower() if output and "." in output else ""
    return suffix if suffix in ("csv", "html", "json") else "csv"


def _seed(text: str) -> int:
    """The class seed: a whole number of at most 18 digits (argparse would quote all of a huge one)."""
    digits = text.strip().removeprefix("-").removeprefix("+")
    if not digits.isdigit() or len(digits) > 18:
        raise argparse.ArgumentTypeError("must be a whole number of at most 18 digits")
    return int(text)
