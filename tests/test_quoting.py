"""Values are quoted once, where they go: a parameter value with a blank, a quote, a ``$``, a ``.`` and
other regular-expression characters is one word in shell text and matches only itself in a
pattern, on a real target through the real command line; the linter refuses such a value where a
lab puts it inside quotes or a here-document, and never where it needs no quoting."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from checkers.probes import REGISTRY
from tests.conftest import Tree, run_lpic3
from tests.lab_fixtures import remove_workdirs
from trainer.curriculum.exercises import PLACEHOLDER
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.problems import Severity
from trainer.curriculum.shellwords import (
    ANSI,
    BACK,
    COMMENT,
    DOUBLE,
    HEREDOC,
    SINGLE,
    UNQUOTED,
    placements,
)
from trainer.labs.render import render, render_args, render_shell

pytestmark = pytest.mark.usefixtures("remove_workdirs")
__all__ = ["remove_workdirs"]  # the fixture, used by every test here

VALUE = "it's web 1.$HOME [x]+(y)?*"  # a blank, a quote, $, . and regex specials; a glob too
LAB_ID = "351.5-quoted-label"
LAB = """
id: 351.5-quoted-label
objective: "351.5"
title: A label written as it is
terms: [qemu-img]
difficulty: 1
requires: [root]
params:
  label: {choices: [@CHOICE@]}
task: Write the label {{label}} as the only line of {{workdir}}/label.
setup: |
  v={{label}}
  printf '%s\\n' "${v/./Z}" > {{workdir}}/decoy
checks:
  - id: literal
    probe: file.contains
    args: {path: "{{workdir}}/label", pattern: "^{{label}}$"}
    hint: The label, character for character.
  - id: decoy-not-matched
    probe: file.contains
    args: {path: "{{workdir}}/decoy", pattern: "^{{label}}$", present: false}
    hint: The dot in the label is a dot, not any character.
  - id: one-word
    probe: command.status
    args: {command: 'set -- {{label}}; test $# = 1 && test "$1" = "$(cat {{workdir}}/label)"'}
    hint: The shell sees the label as one word.
  - id: output
    probe: command.output
    args: {command: "cat {{workdir}}/label", pattern: "^{{label}}$"}
    hint: cat shows the label.
solution: printf '%s\\n' {{label}} > {{workdir}}/label  # {{label}} in a comment is fine too
reset: "true"
wrong_answers:
  - name: the dot written as another character
    script: cp {{workdir}}/decoy {{workdir}}/label
    fails: [literal, one-word, output]
"""


def write_lab(tree: Tree, choice: str = json.dumps(VALUE), lab: str = LAB) -> None:
    tree.write("exercises/351.5/quoted.yaml", lab.replace("@CHOICE@", choice))


def errors(tree: Tree) -> list[str]:
    return [p.format(tree.root) for p in load_curriculum(tree.root).problems if p.severity is Severity.ERROR]


def test_a_value_with_shell_and_regex_characters_is_one_word_and_matches_itself(tree: Tree) -> None:
    write_lab(tree)
    assert errors(tree) == []
    where = ["--target", "local", "--path", str(tree.root)]
    report = run_lpic3("lab", "selftest", LAB_ID, "--yes", "--json", *where)
    (result,) = json.loads(report.stdout)["reports"]
    assert result["ok"] is True, result
    try:
        assert run_lpic3("lab", "start", LAB_ID, "--yes", *where).returncode == 0
        workdir = json.loads(run_lpic3("lab", "show", LAB_ID, "--json", *where).stdout)["params"]["workdir"]
        solution = run_lpic3("lab", "solve", LAB_ID, "--apply", "--yes", *where)
        assert solution.stdout.startswith(f"printf '%s\\n' {shlex.quote(VALUE)} > {workdir}/label")
        with open(f"{workdir}/decoy") as decoy:
            assert decoy.read() == VALUE.replace(".", "Z", 1) + "\n"
        with open(f"{workdir}/label") as label:
            assert label.read() == VALUE + "\n"
        checked = run_lpic3("lab", "check", LAB_ID, "--json", "--explain", *where)
        assert checked.returncode == 0, checked.stdout
        checks = {c["id"]: c for c in json.loads(checked.stdout)["checks"]}
        assert checks["literal"]["expected"] == f"a line matching /^{re.escape(VALUE)}$/"
        assert checks["one-word"]["commands"][0]["command"].startswith(f"set -- {shlex.quote(VALUE)}; test $# = 1")
    finally:
        run_lpic3("lab", "reset", LAB_ID, "--yes", *where)


def test_values_are_quoted_for_where_they_go() -> None:
    values = {"label": VALUE, "workdir": "/var/lib/lpic3/labs/x-1"}
    args = {"command": "grep -c {{label}} {{workdir}}/f", "pattern": "^{{label}}$", "present": False}
    assert render_args("command.output", args, values) == {
        "command": f"grep -c {shlex.quote(VALUE)} /var/lib/lpic3/labs/x-1/f",
        "pattern": f"^{re.escape(VALUE)}$",
        "present": False,
    }
    assert render_args("file.contains", {"path": "{{workdir}}/{{label}}"}, values) == {
        "path": f"/var/lib/lpic3/labs/x-1/{VALUE}"  # the probe quotes a path itself
    }
    assert render("Write {{label}}.", values) == f"Write {VALUE}."  # text for people: as it is
    assert render_shell("cd {{workdir}} && touch {{ label }}", {**values, "label": "web-01"}) == (
        "cd /var/lib/lpic3/labs/x-1 && touch web-01"  # a value that needs no quoting stays as written
    )


@pytest.mark.parametrize(
    ("change", "context"),
    [
        (("solution: printf '%s\\n' {{label}}", "solution: printf '%s\\n' \"{{label}}\""), DOUBLE),
        (("{command: 'set -- {{label}};", '{command: \'sh -c "set -- {{label}}";'), DOUBLE),
        (('{command: "cat {{workdir}}/label"', "{command: \"sh -c 'cat {{label}}'\""), SINGLE),
        (
            (
                "script: cp {{workdir}}/decoy",
                "script: |\n      cat <<EOF > {{workdir}}/x\n      {{label}}\n      EOF\n      cp {{workdir}}/decoy",
            ),
            HEREDOC,
        ),
    ],
    ids=["double-quotes", "sh-c-in-a-check", "single-quotes", "here-document"],
)
def test_a_value_that_needs_quoting_inside_quotes_is_refused_at_its_line(
    tree: Tree, change: tuple[str, str], context: str
) -> None:
    changed = LAB.replace(*change)
    assert changed != LAB
    write_lab(tree, lab=changed)
    (error,) = errors(tree)
    text = changed.replace("@CHOICE@", json.dumps(VALUE)).lstrip("\n").splitlines()
    key = change[1].lstrip("{").split(":")[0].split()[-1]
    line = next(n for n, row in enumerate(text, 1) if key + ":" in row and change[1].split("\n")[0].strip() in row)
    assert error == (
        f"exercises/351.5/quoted.yaml:{line}: error: exercise {LAB_ID}: parameter 'label' has values that need "
        f"shell quoting ({VALUE!r}): {{{{label}}}} is quoted for you in shell text, so it must stand outside "
        f"quotes (here it is in {context})"
    )


def test_a_value_that_needs_no_quoting_may_stand_inside_quotes(tree: Tree) -> None:
    write_lab(tree, "web-01, db.02", LAB.replace("printf '%s\\n' {{label}}", "printf '%s\\n' \"{{label}}\""))
    assert errors(tree) == []


@pytest.mark.parametrize("choice", ['""', '"two\\nlines"', '"tab\\there"'])
def test_a_choice_must_be_one_printable_line(tree: Tree, choice: str) -> None:
    write_lab(tree, choice)
    (error,) = errors(tree)
    assert error.endswith("must be one line of printable characters"), error


def test_the_shell_lexer_knows_where_each_placeholder_stands() -> None:
    text = r"""touch /x/{{a}}/y "{{b}}" '{{c}}' $'{{d}}' `echo {{e}}` "$(cat {{f}})" # {{g}}
echo ${#x} {{h}} "a\"{{k}}" sh -c "x $(y "{{l}}")" x\'{{o}} "it's {{p}}" '{{q}}'"{{r}}"{{s}}
cat <<EOF > f
{{i}}
EOF
cat <<-'E' && echo {{j}}
	{{m}}
	E
echo {{n}}
"""
    found = {p.name: p.context for p in placements(text, PLACEHOLDER)}
    assert found == {
        "a": UNQUOTED,
        "b": DOUBLE,
        "c": SINGLE,
        "d": ANSI,
        "e": BACK,
        "f": UNQUOTED,  # $( ... ) inside double quotes is outside quotes again
        "g": COMMENT,
        "h": UNQUOTED,  # ${#x} is no comment
        "k": DOUBLE,
        "l": DOUBLE,
        "o": UNQUOTED,
        "p": DOUBLE,
        "q": SINGLE,
        "r": DOUBLE,
        "s": UNQUOTED,
        "i": HEREDOC,
        "j": UNQUOTED,
        "m": HEREDOC,
        "n": UNQUOTED,
    }


def test_every_argument_that_is_a_shell_command_says_so() -> None:
    """A probe argument holding shell text is marked ``shell``, so values are quoted into it."""
    for probe in REGISTRY.values():
        for name, arg in probe.args.items():
            assert arg.shell == arg.help.startswith("shell command"), f"{probe.name} {name}"
