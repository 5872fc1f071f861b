"""The ``lpic3`` command. Thin on purpose: it parses arguments and hands over to ``trainer.commands``
(headless, no Textual) or, with no command, to the TUI, which is the only place Textual is imported.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from trainer import __version__

_COMMANDS = {"lint": "trainer.commands.lint", "stats": "trainer.commands.stats"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lpic3",
        description="Offline trainer for the LPIC-3 305-300 exam. With no command, opens the trainer.",
    )
    parser.add_argument("--version", action="version", version=f"lpic3 {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lint = sub.add_parser(
        "lint",
        help="validate lessons, questions and exercises",
        description="Load and validate all content. Exit 0 when clean, 1 on errors "
        "(or on warnings with --strict), 2 on a usage error.",
    )
    lint.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="folder holding content/ and exercises/ (default: the bundled curriculum)",
    )
    lint.add_argument("--json", action="store_true", help="print the result as JSON")
    lint.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too (terms without lesson text or questions); "
        "terms without a lab are notes and never fail",
    )
    lint.add_argument("--notes", action="store_true", help="also list the notes (terms no lab touches)")
    lint.add_argument("--objective", metavar="ID", help="only problems of this objective (e.g. 351.5)")

    stats = sub.add_parser(
        "stats",
        help="how far the curriculum is, per objective",
        description="Per objective: weight, lesson words, questions by type, exercises, "
        "and which official terms lessons, questions and labs cover.",
    )
    stats.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="folder holding content/ and exercises/ (default: the bundled curriculum)",
    )
    stats.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            from trainer.tui.app import run_app  # Textual is imported only here

            return run_app()
        return importlib.import_module(_COMMANDS[args.command]).run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `lpic3 stats | head`: the reader left; not an error worth a traceback
        sys.stderr.close()
        return 0
