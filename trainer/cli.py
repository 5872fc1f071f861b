"""The ``lpic3`` command. Thin on purpose: it parses arguments and hands over to ``trainer.commands``
(headless, no Textual) or, with no command, to the TUI, which is the only place Textual is imported.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from trainer import errors
from trainer.commands.version import VersionAction
from trainer.errors import Lpic3Error, UsageError

_COMMANDS = {
    "lint": "trainer.commands.lint",
    "stats": "trainer.commands.stats",
    "exam": "trainer.commands.exam",
    "progress": "trainer.commands.progress",
    "labs": "trainer.commands.labs",
    "lab": "trainer.commands.labs",
    "doctor": "trainer.commands.labs",
    "sandbox": "trainer.commands.sandbox",
}
# Commands whose module also builds its own arguments: ``add_parser(sub)`` and ``run(args)``. New
# commands go here (one line each: command, module), so that adding one does not mean editing
# ``build_parser``. Each module keeps its top-level imports light: all are imported for ``--help``.
_PLUGGED: dict[str, str] = {
    "export": "trainer.commands.export",
    "completion": "trainer.commands.completion",
    "help": "trainer.commands.helptopics",
    "class": "trainer.commands.classroom",
    "serve": "trainer.commands.serve",
}
_TARGET_HELP = (
    "where the lab runs: sandbox (the default when the sandbox VM is up), local (the default "
    "otherwise), netns (a namespace sandbox) or ssh://user@host[:port]"
)
_PATH_HELP = "folder holding content/ and exercises/ (default: the bundled curriculum)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lpic3",
        description="Offline trainer for the LPIC-3 305-300 exam. With no command, opens the trainer.",
    )
    parser.add_argument(
        "--version", action=VersionAction, help="show the version, the curriculum's and where your data lives"
    )
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

    exam = sub.add_parser("exam", help="paper mock exams: print one, grade an answer sheet")
    exam_sub = exam.add_subparsers(dest="exam_command", metavar="ACTION", required=True)
    new = exam_sub.add_parser(
        "new",
        help="draw a 60-question mock exam (Markdown by default)",
        description="Draw a mock exam like the real one: one question per weight point.",
    )
    new.add_argument("--seed", type=_seed, help="the exam's number: the same seed gives the same exam")
    form = new.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the exam as JSON")
    form.add_argument("--markdown", action="store_true", help="print the exam as Markdown (the default)")
    form.add_argument("--html", metavar="FILE", help="write a printable HTML paper (A4/Letter, answer grid) to FILE")
    new.add_argument("--with-key", action="store_true", help="add the answer key (with explanations in JSON and HTML)")
    new.add_argument("--sheet", metavar="FILE", help="also write a blank YAML answer sheet for `exam grade`")
    new.add_argument("--path", help=_PATH_HELP)
    grade = exam_sub.add_parser(
        "grade",
        help="score a filled-in answer sheet",
        description="Score an answer sheet written by `lpic3 exam new --sheet`.",
    )
    grade.add_argument("answers", metavar="ANSWERS.yaml")
    grade.add_argument("--json", action="store_true", help="print the result as JSON")
    grade.add_argument("--path", help=_PATH_HELP)

    progress = sub.add_parser(
        "progress",
        help="your progress per objective",
        description="Per objective: questions answered, accuracy, reviews due now, "
        "whether the lesson was read; and the last mock exam.",
    )
    progress.add_argument("--json", action="store_true", help="print the result as JSON")
    progress.add_argument("--path", help=_PATH_HELP)
    _add_lab_commands(sub)
    _add_sandbox_commands(sub)
    for module in _PLUGGED.values():
        importlib.import_module(module).add_parser(sub)
    return parser


def _actions(parent: argparse.ArgumentParser, dest: str, helps: dict[str, str]) -> dict[str, argparse.ArgumentParser]:
    """One sub-command per entry of ``helps`` (name: one-line help), stored in ``dest``."""
    actions = parent.add_subparsers(dest=dest, metavar="ACTION", required=True)
    return {
        name: actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        for name, text in helps.items()
    }


def _add_sandbox_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = sub.add_parser(
        "sandbox",
        help="lpic3's own disposable lab VM: build, up, shell, status, reset, down",
        description="A Debian 12 VM with systemd and cgroup v2 for the labs, booted with "
        "QEMU from a throw-away overlay.",
    )
    helps = {
        "build": "make the image once (mmdebstrap; as root, or as a user with subordinate IDs; resumable)",
        "up": "boot it and wait until the serial console and SSH answer",
        "shell": "an interactive shell inside (SSH)",
        "status": "is it built, is it running",
        "reset": "drop the overlay and boot a clean machine (in Xen mode again if it was)",
        "down": "shut it down",
        "destroy": "shut it down and delete the image",
    }
    for name, action in _actions(sandbox, "sandbox_command", helps).items():
        if name in ("build", "up", "reset"):
            action.add_argument("--explain", action="store_true", help="show the commands lpic3 runs (exam material)")
        if name == "up":
            action.add_argument(
                "--xen",
                action="store_true",
                help="boot it as a Xen dom0 under the Xen hypervisor (xl and PV guests; a cold boot, slower)",
            )
        if name == "build":
            action.add_argument("--mirror", metavar="URL", help="the Debian mirror (default: the one apt uses here)")
        if name == "status":
            action.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_lab_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    labs = sub.add_parser("labs", help="list the hands-on labs", description="List the hands-on labs.")
    labs.add_argument("--json", action="store_true", help="print the result as JSON")
    labs.add_argument("--path", help=_PATH_HELP)

    lab = sub.add_parser(
        "lab",
        help="run a hands-on lab: show, start, check, hint, reset, solve, selftest, shell",
        description="Run a hands-on lab whose result is checked on the real target.",
    )
    helps = {
        "show": "print the task",
        "start": "set the lab up on the target and print the task",
        "check": "check your work: exit 0 pass, 1 fail, 2 cannot run here or not judged (no answer in time, or"
        " the real tools cannot be trusted)",
        "hint": "show the next hint",
        "reset": "remove what the lab and you made",
        "solve": "print the reference solution (instructors); --apply runs it",
        "selftest": "prove labs on a real target: setup, wrong answers, solution, reset",
        "shell": "a shell where the started lab runs, in its working folder (netns: inside its namespaces)",
    }
    for name, action in _actions(lab, "lab_command", helps).items():
        if name == "selftest":
            action.add_argument("ids", nargs="*", metavar="ID", help="labs to test (default: all)")
            action.add_argument("--all", action="store_true", help="test every lab")
        else:
            action.add_argument("id", metavar="ID", help="the lab's id (see `lpic3 labs`)")
        action.add_argument("--target", metavar="T", help=_TARGET_HELP)
        action.add_argument("--path", help=_PATH_HELP)
        if name in ("show", "check", "selftest"):
            action.add_argument("--json", action="store_true", help="print the result as JSON")
        if name == "check":
            action.add_argument(
                "--explain", action="store_true", help="show the commands each check ran and what they returned"
            )
        if name in ("start", "reset", "solve", "selftest"):
            action.add_argument("--yes", action="store_true", help="allow changes to a target that is not a sandbox")
        if name in ("start", "selftest"):
            action.add_argument("--seed", type=_seed, help="fix the lab's random parameters")
        if name == "reset":
            action.add_argument(
                "--machine", action="store_true", help="reset the whole sandbox VM instead (a clean machine)"
            )
        if name == "solve":
            action.add_argument("--apply", action="store_true", help="run the solution on the target")

    doctor = sub.add_parser(
        "doctor",
        help="what this machine (or a target) can run",
        description="Probe the target for every lab feature (root, namespaces, cgroups, "
        "KVM, libvirt, docker ...) and say which labs can run there.",
    )
    doctor.add_argument("--target", metavar="T", help=_TARGET_HELP)
    doctor.add_argument("--json", action="store_true", help="print the result as JSON")
    doctor.add_argument("--path", help=_PATH_HELP)


def _seed(text: str) -> int:
    """A seed: a whole number short enough to print on a paper (argparse would quote all of a
    5,000-digit one, and Python refuses to read more than 4,300 digits)."""
    digits = text.strip().removeprefix("-").removeprefix("+")
    if not digits.isdigit() or len(digits) > 18:
        raise argparse.ArgumentTypeError("must be a whole number of at most 18 digits")
    return int(text)


_PATH_MAX, _NAME_MAX = 4096, 255  # Linux: a whole path, one of its names (bytes)


def _check_paths(args: argparse.Namespace) -> None:
    """Paths named on the command line. An empty one is a mistake (it would silently mean the
    bundled tree or write nothing), and one longer than Linux allows is refused here, in one line
    that does not repeat it, instead of failing somewhere deeper."""
    labels = {"path": "PATH" if args.command in ("lint", "stats", "export") else "--path", "answers": "ANSWERS.yaml"}
    class_exam = (("out", "--out"), ("students", "--students"), ("dir", "DIR"))  # lpic3 class exam's paths
    for name, label in (*labels.items(), ("sheet", "--sheet"), *class_exam):
        value = getattr(args, name, None)
        if value is None:
            continue
        if not value.strip():
            raise UsageError(f"{label}: the path is empty")
        raw = os.fsencode(value)
        if len(raw) >= _PATH_MAX or any(len(part) > _NAME_MAX for part in raw.split(b"/")):
            raise UsageError(
                f"{label}: the path is too long ({len(value):,} characters; Linux allows {_PATH_MAX - 1:,}, "
                f"and {_NAME_MAX} bytes per name)"
            )


def main(argv: list[str] | None = None) -> int:
    """Run one command. The one place errors become output: an ``Lpic3Error`` (or a target or
    session error from ``checkers``) is one line on stderr and its exit status; any other exception
    is a bug, reported in one line with a crash note, and exits ``INTERNAL``."""
    from checkers.session import SessionError
    from checkers.targets import TargetError as BadTarget

    args = build_parser().parse_args(argv)
    try:
        _check_paths(args)
        if args.command is None:
            from trainer.tui.app import run_app  # Textual is imported only here

            return run_app()
        return importlib.import_module({**_COMMANDS, **_PLUGGED}[args.command]).run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `lpic3 stats | head`: the reader left; not an error worth a traceback
        sys.stderr.close()
        return 0
    except Lpic3Error as exc:
        print(f"lpic3: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except (BadTarget, SessionError) as exc:
        print(f"lpic3: {' '.join(str(exc).split())}", file=sys.stderr)
        return errors.CANNOT_RUN
    except Exception as exc:  # a bug: one line and a note, never a traceback
        from trainer.crash import crash_line, write_crash_note

        print(crash_line(exc, write_crash_note(exc, f"lpic3 {args.command or '(trainer)'}")), file=sys.stderr)
        return errors.INTERNAL
