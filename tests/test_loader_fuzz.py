"""Property: whatever a content file or answer sheet holds, the loader answers with problems (one
short line each), never a crash, a hang or gigabytes of memory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, Tree
from tests.test_exercises import lab
from tests.test_lint_errors import FILL, GOOD_SINGLE, MULTI
from trainer.curriculum.exercises import load_exercise
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.problems import ContentError, Problem
from trainer.curriculum.questions import load_questions

SEED_TEXT = (GOOD_SINGLE + MULTI + FILL).lstrip("\n")
OBJECTIVES = load_curriculum().objectives

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["A", "B", "Z", "351.5", "single", "multi", "fill", "qemu-img", "Choose two.", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "objective",
                    "terms",
                    "difficulty",
                    "stem",
                    "options",
                    "answer",
                    "accept",
                    "match",
                    "explanation",
                    "ignore_case",
                    "equivalent",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


def _load(tmp: Path, text: str, exercise: bool = False) -> None:
    path = tmp / ("lab.yaml" if exercise else "questions.yaml")
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    problems: list[Problem] = []
    try:
        if exercise:
            load_exercise(path, "351.5", OBJECTIVES, problems)
        else:
            load_questions(path, "351.5", OBJECTIVES, problems)
    except ContentError as exc:  # the one exception the loader may raise, always with a located problem
        assert exc.problem.path == path and exc.problem.message
        problems.append(exc.problem)
    for problem in problems:  # one short line each, whatever the file held
        line = problem.format(tmp)
        assert len(line) < 600 and line.isprintable(), line


# What a mutation may insert: YAML syntax, tags PyYAML cannot always build, dates, huge numbers.
INSERTS = [
    ":",
    "- ",
    "[",
    "]",
    "{",
    "&a",
    "*a",
    "!!binary ",
    "!!int ",
    "!!bool ",
    "!!float ",
    "!!timestamp ",
    "!!set ",
    "2020-13-45",
    "2020-01-01 25:00:00",
    "9" * 5000,
    "0x" + "f" * 5000,
    "[x]",
    "\t",
    "\n",
    "  ",
    "'",
    '"',
    '"\\e[31m',
    "? ",
    "|",
    "#",
    "\x00",
    "é",
]


def _mutate(data: st.DataObject, text: str) -> str:
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "swap-lines"]))
        if op == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 20)) :]
        elif op == "insert":
            text = text[:at] + data.draw(st.sampled_from(INSERTS)) + text[at:]
        elif op == "replace":
            text = text[:at] + data.draw(st.text(max_size=5)) + text[at + 1 :]
        else:
            lines = text.splitlines()
            i, j = data.draw(st.integers(0, len(lines) - 1)), data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


settings_ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(data=st.data())
def test_mutated_question_text_never_crashes(tmp_path: Path, data: st.DataObject) -> None:
    _load(tmp_path, _mutate(data, SEED_TEXT))


@settings_
@given(data=st.data())
def test_mutated_exercise_text_never_crashes(tmp_path: Path, data: st.DataObject) -> None:
    _load(tmp_path, _mutate(data, lab()), exercise=True)


@settings_
@given(
    field=st.sampled_from(["stem", "difficulty", "answer", "options", "terms", "objective", "id", "type"]),
    value=st.sampled_from(INSERTS[8:18]) | st.text(max_size=30),
)
def test_any_scalar_in_any_field_never_crashes(tmp_path: Path, field: str, value: str) -> None:
    """Each field of a valid question replaced by a tagged, date-like, huge or arbitrary scalar."""
    lines = [f"  {field}: {value}" if line.startswith(f"  {field}:") else line for line in GOOD_SINGLE.splitlines()]
    _load(tmp_path, "\n".join(lines).lstrip("\n") + "\n")


@settings_
@given(document=st.lists(values, max_size=4))
def test_arbitrary_yaml_structures_never_crash(tmp_path: Path, document: list[object]) -> None:
    _load(tmp_path, yaml.safe_dump(document, allow_unicode=True))


def test_recursive_alias_is_a_content_error(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text("- &a [*a]\n")
    problems: list = []
    try:
        load_questions(path, "351.5", OBJECTIVES, problems)
    except ContentError as exc:
        assert "questions.yaml" in str(exc)
    else:
        assert problems


def laughs(indent: str = "") -> list[str]:
    """A "billion laughs": nine anchored lists, each nine aliases of the one before: 9^9 values."""
    lines = [f"{indent}- &l0 [A,A,A,A,A,A,A,A,A]"]
    lines += [f"{indent}- &l{n} [{','.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    return lines


MEASURED = """
import json, resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))  # inherited: a bomb fails fast, not the machine
done = subprocess.run([sys.executable, "-m", "trainer", *sys.argv[1:]], capture_output=True, text=True, timeout=60)
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"status": done.returncode, "stderr": done.stderr, "cpu": use.ru_utime + use.ru_stime,
                  "maxrss_mib": use.ru_maxrss / 1024}))
"""


def measured(*args: str) -> dict[str, Any]:
    """Run ``lpic3 ARGS`` in a child limited to 1 GiB of address space; its status, stderr, CPU
    seconds and peak memory (getrusage)."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_an_alias_bomb_in_content_is_one_line_and_cheap(tree: Tree) -> None:
    """Before: 137 s and 8 GB for lint to walk the expanded values; now refused while they are counted."""
    tree.write(
        "exercises/351.5/bomb.yaml",
        "anchors:\n" + "\n".join(laughs("  ")) + "\nid: bomb\ntask: *l8\nhints: *l8\nchecks: *l8\n",
    )
    tree.write("content/351.5/questions.yaml", "- x:\n" + "\n".join(laughs("    ")) + "\n  stem: *l8\n  options: *l8\n")
    run = measured("lint", str(tree.root))
    lines = run["stderr"].strip().splitlines()
    assert run["status"] == 1 and len(lines) == 1 and "Traceback" not in run["stderr"], run
    assert run["cpu"] < 2 and run["maxrss_mib"] < 200, run
    from trainer.curriculum.loader import load_curriculum

    found = [p.format(tree.root) for p in load_curriculum(tree.root).problems if p.severity == "error"]
    limit = r":\d+: error: more than 200,000 values once aliases are expanded \(lpic3's limit for one file\)"
    assert len(found) == 2, found
    assert re.fullmatch(r"content/351\.5/questions\.yaml" + limit, found[0]), found
    assert re.fullmatch(r"exercises/351\.5/bomb\.yaml" + limit, found[1]), found


def test_an_alias_bomb_in_an_answer_sheet_is_one_line_and_cheap(tmp_path: Path) -> None:
    """Before: 2.9 GB and 53 s for a 400-byte sheet (its answer turned into text); sheets now refuse
    aliases outright."""
    from tests.study_fixtures import make_curriculum
    from trainer.study.exam import draw_exam

    cur = make_curriculum(tmp_path / "tree")
    number = next(n for n, item in enumerate(draw_exam(cur, 1).items, 1) if item.question.type != "fill")
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("seed: 1\nx:\n" + "\n".join(laughs("  ")) + f"\nanswers:\n  {number}: [*l8]\n")
    assert len(sheet.read_bytes()) < 450
    run = measured("exam", "grade", str(sheet), "--path", str(cur.root))
    assert run["status"] == 1 and run["cpu"] < 2 and run["maxrss_mib"] < 200, run
    assert run["stderr"] == f"lpic3: {sheet}:4: error: aliases (*name) are not allowed here: write each value out\n"
