"""``lpic3 export anki|moodle``: the question bank (bundled or an instructor's tree) for Anki or Moodle."""

from __future__ import annotations

import argparse

_PATH_HELP = "folder holding content/ and exercises/ (default: the bundled curriculum)"
_OBJECTIVE_HELP = "only this objective's questions (e.g. 351.5); repeat for more (default: all)"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="the question bank as an Anki deck or a Moodle quiz bank",
        description="Write the question bank for the tools learners and instructors already use.",
    )
    formats = export.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    anki = formats.add_parser(
        "anki",
        help="an Anki deck (.apkg): one note per question, fill-ins as type-in cards",
        description="An Anki deck: one note per question (stem, options, answer, explanation), tagged by "
        "objective and official term, a subdeck per topic and objective. Importing a newer export updates "
        "the notes instead of duplicating them.",
    )
    moodle = formats.add_parser(
        "moodle",
        help="a Moodle question bank: Moodle XML (default) or GIFT",
        description="A Moodle question bank: a category per topic and objective, multiple choice with "
        "per-option feedback and partial credit, short answer with every accepted answer.",
    )
    for parser, output in ((anki, "FILE.apkg"), (moodle, "FILE.xml")):
        parser.add_argument("path", nargs="?", metavar="PATH", help=_PATH_HELP)
        parser.add_argument("--objective", action="append", metavar="ID", help=_OBJECTIVE_HELP)
        parser.add_argument("-o", "--output", required=True, metavar=output, help="the file to write")
    moodle.add_argument(
        "--format", choices=("xml", "gift"), default="xml", help="Moodle XML (the default) or plain-text GIFT"
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from trainer.commands.tree import open_curriculum
    from trainer.errors import UsageError
    from trainer.export.bank import select

    if not args.output.strip():
        raise UsageError("-o: the path is empty")
    cur = open_curriculum(args.path)
    groups = select(cur, args.objective)
    target = Path(args.output)
    if args.export_command == "anki":
        from trainer.export.anki import build_package, write_apkg

        write_apkg(build_package(cur, groups), target)
        kind = "Anki deck"
    else:
        from trainer.export.quiz import items
        from trainer.output import write_atomically

        entries = list(items(cur, groups))
        if args.format == "gift":
            from trainer.export.gift import to_gift as encode
        else:
            from trainer.export.moodle import to_xml as encode
        data = encode(entries)
        write_atomically(target, lambda stream: stream.write(data))
        kind = "GIFT file" if args.format == "gift" else "Moodle XML file"
    count = sum(len(g.questions) for g in groups)
    print(f"wrote {count} questions of {len(groups)} objective(s) to the {kind} {target}")
    return 0
