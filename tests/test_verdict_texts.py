"""Every verdict says what it saw (capped), on real output and files: no bare "no match"; and a check
that gets no answer makes the lab's self-test fail instead of counting as a caught wrong answer."""

from __future__ import annotations

import random
import re
import shlex
from pathlib import Path

from checkers.privdir import lab_root
from checkers.probes import run_probe
from checkers.probes.values import SEEN_LIMIT
from checkers.session import ShellSession, local_argv
from tests.conftest import Tree
from tests.lab_fixtures import slow_lab
from trainer.labs.render import choose_params
from trainer.labs.selftest import selftest


def test_no_match_says_what_the_output_was(local_shell: ShellSession) -> None:
    verdict = run_probe(local_shell, "command.output", {"command": "printf 'alpha\\nbeta\\n'", "pattern": "^gamma$"})
    assert not verdict.passed and verdict.seen == "no match in the output 'alpha\\nbeta'"
    empty = run_probe(local_shell, "command.output", {"command": "true", "pattern": "x"})
    assert empty.seen == "no match in the output nothing"


def test_a_failing_command_says_what_it_printed(local_shell: ShellSession) -> None:
    verdict = run_probe(local_shell, "command.status", {"command": "echo 'no such domain: web' >&2; exit 1"})
    assert verdict.seen == "exit status 1, output 'no such domain: web'"
    listing = run_probe(local_shell, "command.output", {"command": "ls /nonexistent-lpic3", "pattern": "x"})
    assert listing.seen == "exit status 2, output \"ls: cannot access '/nonexistent-lpic3': No such file or directory\""


def test_no_matching_line_says_what_the_file_holds(local_shell: ShellSession, tmp_path: Path) -> None:
    config = tmp_path / "xl.cfg"
    config.write_text("name = 'web'\nmemory = 512\n")
    verdict = run_probe(local_shell, "file.contains", {"path": str(config), "pattern": "^vcpus"})
    assert verdict.seen == f"no matching line in {config}, which holds \"name = 'web'\\nmemory = 512\""


def test_what_was_seen_is_capped(local_shell: ShellSession, tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_text("x" * 5000 + "\n")
    cases: list[tuple[str, dict[str, object]]] = [
        ("command.output", {"command": f"cat {shlex.quote(str(big))}", "pattern": "y"}),
        ("file.contains", {"path": str(big), "pattern": "y"}),
        ("command.json", {"command": f"cat {shlex.quote(str(big))}", "key": "a", "equals": "b"}),
        ("file.key", {"path": str(tmp_path), "key": "a", "equals": "b"}),
    ]
    for probe, args in cases:
        verdict = run_probe(local_shell, probe, args)
        assert not verdict.passed and verdict.seen and len(verdict.seen) <= SEEN_LIMIT, (probe, verdict.seen)


def test_a_self_test_whose_checks_get_no_answer_fails(tree: Tree, tmp_path: Path) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=10)
    # 3 s per command, 15 s per script: the lab's own scripts answer in time even on a loaded machine.
    with ShellSession(local_argv(), "local", time_scale=0.05) as session:
        values = choose_params(exercise, random.Random(1), lab_root(session))
        report = selftest(exercise, session, values)
    assert not report.ok
    # The wait is 3 s; what it says is the time it really took, which a loaded machine stretches.
    not_judged = re.compile(r"after setup: check made was not judged \(no answer in \d+ s")
    assert any(not_judged.match(f) for f in report.failures), report.failures
    assert not any("passed check(s)" in f for f in report.failures)  # a timeout is no proof of anything
    assert not Path(values["workdir"]).exists()  # the self-test's own reset removed its folder
