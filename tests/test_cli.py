"""The command line as a user meets it: exit codes, one-line errors, JSON, no Textual when headless."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, Tree, run_lpic3
from trainer import __version__


def test_version_and_help() -> None:
    assert run_lpic3("--version").stdout.splitlines()[0] == f"lpic3 {__version__}"  # then the curriculum, the data
    help_text = run_lpic3("--help").stdout
    assert "lint" in help_text and "stats" in help_text


def test_bundled_curriculum_lints_without_errors() -> None:
    result = run_lpic3("lint", "--json")
    report = json.loads(result.stdout)
    assert report["errors"] == 0, [p for p in report["problems"] if p["severity"] == "error"]
    assert result.returncode == 0
    assert report["questions"] > 0 and report["lessons"] > 0 and report["exercises"] > 0


def test_lint_reports_errors_with_exit_1(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", "- id: x\n  type: single\n")
    result = run_lpic3("lint", str(tree.root))
    assert result.returncode == 1
    assert "content/351.5/questions.yaml:1: error: question x: missing field 'objective'" in result.stdout
    assert "Traceback" not in result.stderr


def test_strict_fails_on_warnings_only_with_strict(tree: Tree) -> None:
    tree.write("content/351.5/lesson.md", '---\nobjective: "351.5"\ntitle: Disks\n---\n# Disks\nqemu-img\n')
    assert run_lpic3("lint", str(tree.root)).returncode == 0
    strict = run_lpic3("lint", "--strict", str(tree.root))
    assert strict.returncode == 1
    assert "content/351.5/lesson.md: warning: the lesson never mentions term 'virt-cat'" in strict.stdout


def test_objective_filter(tree: Tree) -> None:
    tree.write("content/351.5/lesson.md", '---\nobjective: "351.5"\ntitle: Disks\n---\n# Disks\n')
    out = run_lpic3("lint", "--objective", "351.5", str(tree.root)).stdout
    assert out and all(" 351." not in line or "351.5" in line for line in out.splitlines())
    assert "content/351.4" not in out


@pytest.mark.parametrize(
    "args", [("lint", "/nonexistent/x"), ("stats", "/etc/hostname"), ("lint", "--bogus"), ("frobnicate",)]
)
def test_usage_errors_exit_2_without_traceback(args: tuple[str, ...]) -> None:
    result = run_lpic3(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip()


def test_stats_json_counts_match_the_content() -> None:
    from trainer.curriculum.loader import load_curriculum

    cur = load_curriculum()
    report = json.loads(run_lpic3("stats", "--json").stdout)
    rows = {row["id"]: row for row in report["objectives"]}
    assert len(rows) == 13
    for oid in cur.objectives:
        questions = cur.questions_for(oid)
        assert rows[oid]["questions"]["total"] == len(questions)
        assert rows[oid]["questions"]["fill"] == sum(q.type == "fill" for q in questions)
        assert rows[oid]["exercises"] == len(cur.exercises_for(oid))
        assert rows[oid]["covered"]["questions"] + len(rows[oid]["missing"]["questions"]) == rows[oid]["terms"]
    assert rows["351.4"]["targets"] == {"lesson_words": 3600, "questions": 72}
    assert rows["353.1"]["targets"] == {"lesson_words": 1500, "questions": 16}


def test_stats_text_has_a_row_per_objective() -> None:
    out = run_lpic3("stats").stdout
    for oid in ("351.1", "352.4", "353.4"):
        assert any(line.startswith(oid) for line in out.splitlines())


HEADLESS = """
import sys
from trainer.cli import main
try:
    main({args!r})
except SystemExit:
    pass
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("TEXTUAL" if leaked else "CLEAN")
"""


@pytest.mark.parametrize("args", [["--help"], ["lint"], ["stats"], ["lint", "--json"], ["stats", "--json"]])
def test_headless_commands_never_import_textual(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", HEADLESS.format(args=args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip().splitlines()[-1] == "CLEAN", result.stdout[-500:] + result.stderr[-500:]


def test_headless_packages_never_import_textual() -> None:
    code = (
        "import sys, checkers.probes, trainer.curriculum.coverage, trainer.labs.selftest, trainer.commands.lint,"
        " trainer.commands.stats; print(any(m.startswith('textual') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    assert result.stdout.strip() == "False", result.stderr


def one_line_error(result: subprocess.CompletedProcess[str], status: int) -> str:
    """The single stderr line of a failed command, after checking its exit status."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == status and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_an_unknown_objective_is_a_usage_error(tree: Tree) -> None:
    """Before, a typo (35l.1) filtered every problem away: "0 errors" on a broken tree."""
    tree.write("content/351.5/questions.yaml", "- id: x\n  type: single\n")
    line = one_line_error(run_lpic3("lint", str(tree.root), "--objective", "35l.1", "--strict"), 2)
    assert "no objective '35l.1'" in line and "351.1, 351.2" in line and "353.4" in line


@pytest.mark.parametrize(
    "args",
    [("lint", ""), ("stats", " "), ("exam", "new", "--sheet", ""), ("progress", "--path", ""), ("exam", "grade", "")],
)
def test_an_empty_path_is_a_usage_error(args: tuple[str, ...]) -> None:
    """Before, `lint ""` linted the bundled tree and `exam new --sheet ""` wrote no sheet, silently."""
    result = run_lpic3(*args)
    assert "the path is empty" in one_line_error(result, 2) and result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("lint", "L"),
        ("stats", "/tmp/L"),
        ("exam", "grade", "L"),
        ("exam", "new", "--sheet", "L"),
        ("labs", "--path", "L"),
        ("lab", "show", "x", "--path", "L"),
    ],
)
def test_a_path_of_100000_characters_is_one_short_line(args: tuple[str, ...]) -> None:
    long = "a" * 100_000
    line = one_line_error(run_lpic3(*(a.replace("L", long) for a in args)), 2)
    assert "the path is too long (100,0" in line and len(line) < 200


def test_a_seed_too_long_to_print_is_refused_without_repeating_it() -> None:
    result = run_lpic3("exam", "new", "--seed", "9" * 5000)
    assert result.returncode == 2 and "at most 18 digits" in result.stderr and len(result.stderr) < 1000
