"""``lpic3 class``: an instructor runs labs for a whole class and gets grades out.

``class lab start|check|reset LAB -i INVENTORY`` runs the lab on every student machine of an
Ansible inventory at once (``trainer.classroom.classlab``); ``check`` prints a table of students x
checks whose rows appear as the machines answer, and ``--watch`` repeats it until Ctrl-C.
``class report`` writes the gradebook as JUnit, CSV, HTML or JSON. ``class exam`` (paper exams for
a class) lives in ``trainer.commands.class_exam``. Heavy modules are imported inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from typing import TYPE_CHECKING

from trainer.interrupts import ctrl_c_noted

if TYPE_CHECKING:
    from trainer.classroom.classlab import ClassLab, HostRow
    from trainer.classroom.gradebook import Gradebook
    from trainer.classroom.inventory import Student
    from trainer.curriculum.model import Curriculum

_PATH_HELP = "folder holding content/ and exercises/ (default: the bundled curriculum)"
_EXAM_MODULE = "trainer.commands.class_exam"
MARKS = {"pass": "+", "fail": "x", "not judged": "?"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser(
        "class",
        help="run labs for a whole class over SSH, watch them live, grade them",
        description="For an instructor: the student machines come from an Ansible inventory (needs "
        "ansible-core: pip install 'lpic3-trainer[class]'); results go to the class gradebook (class.db).",
    )
    actions = group.add_subparsers(dest="class_command", metavar="ACTION", required=True)
    lab = actions.add_parser(
        "lab",
        help="start, check or reset a lab on every student machine",
        description="One lab on every student machine at once, over SSH (the class keeps its own "
        "known_hosts: the first contact records a machine's key, a changed key is refused).",
    )
    lab_actions = lab.add_subparsers(dest="class_lab_command", metavar="ACTION", required=True)
    helps = {
        "start": "set the lab up on every machine and show each student's task",
        "check": "check every machine in parallel: a table of students x checks",
        "reset": "run the lab's reset on every machine",
    }
    for name, text in helps.items():
        action = lab_actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        action.add_argument("lab", metavar="LAB", help="the lab's id (`lpic3 labs` lists them)")
        _class_options(action)
        action.add_argument("--timeout", type=_seconds, default=60.0, help="seconds per machine (default 60)")
        action.add_argument("--parallel", type=int, help="machines worked on at once (default 8)")
        action.add_argument("--json", action="store_true", help="print the rows as JSON")
        if name != "check":
            action.add_argument("--yes", action="store_true", help="change the student machines without asking")
    start = lab_actions.choices["start"]
    start.add_argument("--same-params", action="store_true", help="one set of parameters for every student")
    start.add_argument("--seed", type=int, help="draw the parameters from this seed (repeatable)")
    start.add_argument("--handout", metavar="DIR", help="write each student's task to DIR/NAME.md")
    lab_actions.choices["check"].add_argument(
        "--watch", type=_seconds, metavar="SECONDS", help="check again every SECONDS until Ctrl-C"
    )
    report = actions.add_parser(
        "report",
        help="the gradebook as JUnit, CSV, HTML or JSON",
        description="Per student, lab and check: passed or not, attempts, first pass time, expected and seen.",
    )
    report.add_argument("labs", nargs="*", metavar="LAB", help="the labs (default: every lab the class did)")
    _class_options(report)
    report.add_argument("--format", required=True, choices=("junit", "csv", "html", "json"), help="the format")
    report.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    if importlib.util.find_spec(_EXAM_MODULE) is not None:
        importlib.import_module(_EXAM_MODULE).add_parsers(actions)


def _class_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-i", "--inventory", required=True, metavar="INVENTORY", help="an Ansible inventory (INI or YAML)"
    )
    parser.add_argument("--limit", metavar="PATTERN", help="only the hosts this Ansible pattern matches (GROUP, HOST)")
    parser.add_argument("--path", help=_PATH_HELP)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("seconds must be above 0 and at most 86400")
    return value


def run(args: argparse.Namespace) -> int:
    if args.class_command == "exam":
        return int(importlib.import_module(_EXAM_MODULE).run(args))
    from trainer.classroom.gradebook import Gradebook
    from trainer.classroom.inventory import read_inventory
    from trainer.commands.tree import open_curriculum

    students = read_inventory(args.inventory, args.limit)
    cur = open_curriculum(args.path)
    with Gradebook.open() as gradebook:
        if args.class_command == "report":
            return _report(cur, students, gradebook, args)
        return _lab(cur, students, gradebook, args)


def _lab(cur: Curriculum, students: list[Student], gradebook: Gradebook, args: argparse.Namespace) -> int:
    from trainer.classroom.classlab import WORKERS, ClassLab
    from trainer.classroom.reports import find_exercise

    exercise = find_exercise(cur, args.lab)
    if args.parallel is not None and args.parallel < 1:
        from trainer.errors import UsageError

        raise UsageError("--parallel must be at least 1")
    if args.class_lab_command != "check":
        _consent(
            args,
            f"{args.class_lab_command.capitalize()}ing lab {exercise.id} changes {len(students)} student machine(s)",
        )
    lab = ClassLab(exercise, students, gradebook, timeout=args.timeout, workers=args.parallel or WORKERS)
    try:
        if args.class_lab_command == "start":
            return _start(lab, args)
        if args.class_lab_command == "reset":
            return _show_rows(lab, "reset", args)
        return _check(lab, args)
    finally:
        lab.close()


def _consent(args: argparse.Namespace, change: str) -> None:
    """The instructor's yes, once for the whole class: --yes, or y at the prompt."""
    from trainer.labservice import NotConfirmed

    if args.yes:
        return
    if not sys.stdin.isatty():
        raise NotConfirmed(f"{change}: add --yes to allow it")
    if input(f"{change}. Continue? [y/N] ").strip().lower() not in ("y", "yes"):
        raise NotConfirmed("not confirmed: nothing was changed")


def _start(lab: ClassLab, args: argparse.Namespace) -> int:
    from pathlib import Path

    from trainer.errors import UsageError
    from trainer.output import write_text

    handout = Path(args.handout) if args.handout else None
    if handout is not None:
        try:
            handout.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--handout {handout}: {exc.strerror or exc}") from None
    rows = []
    for row in lab.run("start", same_params=args.same_params, seed=args.seed):
        rows.append(row)
        if args.json:
            continue
        if not row.ok:
            print(f"== {row.student.name}: {row.status}: {row.detail}", flush=True)
            continue
        print(f"== {row.student.name} ({row.student.host})\n{lab.task(row.params).strip()}\n", flush=True)
        if handout is not None:
            who = f"Student: {row.student.name} ({row.student.host})"
            text = f"# {lab.exercise.title}\n\n{who}\n\n{lab.task(row.params).strip()}\n"
            write_text(handout / f"{row.student.name}.md", text, "the hand-out")
    if args.json:
        print(json.dumps([r.to_json() | {"task": lab.task(r.params) if r.ok else None} for r in rows], indent=2))
    return _summary(rows, "started")


def _show_rows(lab: ClassLab, operation: str, args: argparse.Namespace) -> int:
    rows = []
    for row in lab.run(operation):
        rows.append(row)
        if not args.json:
            print(f"{row.student.name:<16} {row.status}" + (f": {row.detail}" if row.detail else ""), flush=True)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
    return _summary(rows, operation)


def _summary(rows: list[HostRow], what: str) -> int:
    failed = [r for r in rows if not r.ok]
    if not failed:
        print(f"{what} on {len(rows)} machine(s)", file=sys.stderr)
        return 0
    print(f"{what} on {len(rows) - len(failed)} of {len(rows)} machine(s); not on {len(failed)}", file=sys.stderr)
    return 1


def _check(lab: ClassLab, args: argparse.Namespace) -> int:
    """One round, or with ``--watch`` rounds until Ctrl-C (even one Python dropped: the round it came
    in is the last)."""
    rounds = 0
    with ctrl_c_noted() as pressed:
        try:
            while not pressed.is_set():
                rounds += 1
                rows = _check_round(lab, args, rounds)
                if args.watch is None:
                    return 0 if all(r.passed for r in rows) else 1
                pressed.wait(args.watch)
        except KeyboardInterrupt:
            pass
    print(f"\nstopped after {rounds} round(s); every row shown is in the gradebook", file=sys.stderr)
    return 130


def _check_round(lab: ClassLab, args: argparse.Namespace, round_number: int) -> list[HostRow]:
    checks = [check.id for check in lab.exercise.checks]
    width = max([len(s.name) for s in lab.students] + [7])
    began = time.monotonic()
    if not args.json:
        when = time.strftime("%H:%M:%S")
        legend = ", ".join(f"{n} {c}" for n, c in enumerate(checks, 1))
        print(
            f"lab {lab.exercise.id} on {len(lab.students)} machine(s), {when}"
            + (f" (round {round_number})" if args.watch else "")
            + f": checks {legend}"
        )
        print(f"{'student':<{width}}  {_columns(checks)}  result")
    rows = []
    for row in lab.run("check"):
        rows.append(row)
        if args.json:
            print(json.dumps(row.to_json() | {"round": round_number}), flush=True)
        else:
            print(_line(row, checks, width), flush=True)
    if not args.json:
        passed = sum(r.passed for r in rows)
        print(f"{passed}/{len(rows)} passed, {time.monotonic() - began:.1f} s", flush=True)
    return rows


def _columns(checks: list[str]) -> str:
    return " ".join(f"{n:>2}" for n in range(1, len(checks) + 1))


def _line(row: HostRow, checks: list[str], width: int) -> str:
    """One student's row: a mark per check (+ pass, x fail, ? not judged), then the result."""
    if row.status != "checked":
        return f"{row.student.name:<{width}}  {' '.join(' -' for _ in checks)}  {row.status}: {row.detail}"
    outcomes = {r.check.id: r.outcome for r in row.results}
    marks = " ".join(f"{MARKS.get(outcomes.get(c, ''), '.'):>2}" for c in checks)
    passed = sum(r.outcome == "pass" for r in row.results)
    result = f"pass {passed}/{len(checks)}" if row.passed else f"{passed}/{len(checks)}"
    if row.passed_at is not None:
        result += f", first passed {time.strftime('%H:%M:%S', time.localtime(row.passed_at))}"
    return f"{row.student.name:<{width}}  {marks}  {result}"


def _report(cur: Curriculum, students: list[Student], gradebook: Gradebook, args: argparse.Namespace) -> int:
    from pathlib import Path

    from trainer.classroom.reports import FORMATS, class_report
    from trainer.output import write_text

    data = class_report(cur, students, gradebook, args.labs)
    text = FORMATS[args.format](data)
    if args.output:
        write_text(Path(args.output), text, "the report")
    else:
        sys.stdout.write(text)
    return 0
