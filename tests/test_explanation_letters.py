"""Explanations name the options by the letters shown on screen, whatever the shuffle.

Options are shuffled for every attempt; an explanation refers to an option only through a marker
(``{C}`` = the third option in the file) that is resolved for the item shown. The walk below
renders every bundled question under several shuffles and maps every letter shown back through the
item's order to the option the file's marker names.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import Tree, run_lpic3
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum, Question
from trainer.curriculum.problems import Severity
from trainer.curriculum.questions import LETTERS
from trainer.curriculum.references import MARKER, mask_code
from trainer.study.exam import ExamItem, shuffled_order
from trainer.study.explain import explanation_for

SEEDS = (1, 2, 3, 17, 305300)


@pytest.fixture(scope="module")
def bundled() -> Curriculum:
    return load_curriculum()


def template(raw_line: str) -> re.Pattern[str]:
    """Matches the line as shown: the same prose (code blanked out), a letter where each marker was."""
    return re.compile(re.sub(r"\\\{([A-H])\\\}", "([A-H])", re.escape(mask_code(raw_line))))


def check_rendering(item: ExamItem) -> None:
    """Every line of the explanation is shown once, and each letter in it names the option the file meant
    (mapped back through the item's order: shown letter L is file option ``order[L]``)."""
    raw_lines = item.question.explanation.strip().split("\n")
    shown_lines = explanation_for(item).split("\n")
    assert len(shown_lines) == len(raw_lines), item.question.id
    assert not MARKER.search(mask_code("\n".join(shown_lines))), f"{item.question.id}: a marker was left unresolved"
    unused = Counter(shown_lines)
    for raw in [line for line in raw_lines if not MARKER.search(mask_code(line))]:
        assert unused[raw] > 0, f"{item.question.id}: {raw!r} is not shown as written"
        unused[raw] -= 1
    for raw in [line for line in raw_lines if MARKER.search(mask_code(line))]:
        meant = sorted(LETTERS.index(m) for m in MARKER.findall(mask_code(raw)))
        for shown in [line for line, count in unused.items() if count]:
            found = template(raw).fullmatch(mask_code(shown))
            if found and sorted(item.order[LETTERS.index(letter)] for letter in found.groups()) == meant:
                unused[shown] -= 1
                break
        else:
            raise AssertionError(f"{item.question.id}: no shown line names the options of {raw!r} (order {item.order})")


def assert_letters_name_the_options(question: Question, shown: str, on_screen: dict[str, str]) -> int:
    """Every line of ``question``'s explanation that names options is in ``shown``, and there its
    letters name, among ``on_screen`` (letter -> option text), the options the file's markers mean.
    Returns how many such lines were checked."""
    shown_lines = [mask_code(line) for line in shown.split("\n")]
    checked = 0
    for raw in question.explanation.strip().split("\n"):
        meant = MARKER.findall(mask_code(raw))
        if not meant:
            continue
        found = next(m for m in (template(raw).fullmatch(line) for line in shown_lines) if m)
        assert {on_screen[letter] for letter in found.groups()} == {
            question.options[LETTERS.index(m)].strip() for m in meant
        }, (raw, found.group())
        checked += 1
    return checked


def test_every_letter_shown_names_the_option_the_file_means(bundled: Curriculum) -> None:
    with_options = [q for q in bundled.questions if q.options]
    assert len(bundled.questions) == 712 and len(with_options) > 500
    referring = [q for q in with_options if MARKER.search(mask_code(q.explanation))]
    assert len(referring) > 300  # the walk really meets letters
    for seed in SEEDS:
        rng = random.Random(seed)
        for question in bundled.questions:
            check_rendering(ExamItem(question, shuffled_order(question, rng)))


def test_the_bundled_questions_have_no_bare_letter_reference(bundled: Curriculum) -> None:
    """What `lint --strict` says about the question banks: nothing (no bare letter, no stray marker)."""
    assert [p.format() for p in bundled.problems if p.path.name == "questions.yaml"] == []


def question(explanation: str, qtype: str = "single") -> Question:
    from trainer.curriculum.model import Location

    return Question(
        "351.1-q", qtype, "351.1", (), 1, "stem?", explanation, Location(Path("q.yaml"), 1), ("a", "b", "c", "d")
    )


def test_a_list_of_option_lines_follows_the_screen_and_a_coordination_is_in_order() -> None:
    text = "**{A}** and **{C}** are right.\n\n- {B} is wrong: bee.\n- {D} is wrong: dee,\n  twice.\n"
    item = ExamItem(question(text), (3, 2, 1, 0))  # screen A = file D, B = C, C = B, D = A
    assert explanation_for(item) == "**B** and **D** are right.\n\n- A is wrong: dee,\n  twice.\n- C is wrong: bee."


def test_code_and_lists_that_are_not_about_options_stay_as_written() -> None:
    text = "Run `echo {A}` for {B}.\n\n- A guest agent helps.\n- {C} is wrong.\n"
    item = ExamItem(question(text), (2, 0, 1, 3))  # screen A = file C, B = A, C = B
    assert explanation_for(item) == "Run `echo {A}` for C.\n\n- A guest agent helps.\n- A is wrong."


QUESTION = """
- id: 351.5-letters
  type: {qtype}
  objective: "351.5"
  terms: [qemu-img]
  difficulty: 1
  stem: Which tool converts a raw image to qcow2?
  options: [qemu-img, virt-df, guestfish, virt-cat]
  answer: A
  explanation: |
    {{A}} is right: qemu-img converts.
{body}
"""

BARE = [
    "    C is wrong: it only reads.",
    "    **B** reads only.",
    "    B and D only read.",
    "    The others (B) only read.",
    "    Option D only reads.",
    "    - C would only read.",
    "    - A: converts.",
    "    The third option only reads.",
    "    {B}, C and {D} only read.",
]


@pytest.mark.parametrize("line", BARE)
def test_lint_refuses_a_bare_letter_at_its_line(tree: Tree, line: str) -> None:
    tree.write("content/351.5/questions.yaml", QUESTION.format(qtype="single", body=line))
    problems = [p for p in load_curriculum(tree.root).problems if p.severity is Severity.ERROR]
    assert len(problems) == 1, [p.format() for p in problems]
    assert problems[0].format(tree.root).startswith("content/351.5/questions.yaml:11: error: question 351.5-letters:")
    assert "without a marker" in problems[0].message


@pytest.mark.parametrize(
    "line",
    [
        "    A guest agent is not involved; `qemu-img convert -A` and `ls -F` are code.",
        "    - A read-only mount would not help.",
        "    Ctrl+C and Ctrl+D do nothing here. D-Bus is unrelated.",
        "    - {B}, {C} and {D} only read images.",
    ],
)
def test_lint_accepts_articles_code_and_markers(tree: Tree, line: str) -> None:
    tree.write("content/351.5/questions.yaml", QUESTION.format(qtype="single", body=line))
    assert [p.format() for p in load_curriculum(tree.root).problems if p.severity is Severity.ERROR] == []


def test_lint_refuses_a_marker_naming_no_option(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", QUESTION.format(qtype="single", body="    {E} does not exist."))
    (problem,) = [p for p in load_curriculum(tree.root).problems if p.severity is Severity.ERROR]
    assert (
        problem.line == 11 and "{E} names an option that does not exist: there are 4 options (A-D)" in problem.message
    )


def test_lint_refuses_a_marker_in_a_fill_in_question(tree: Tree) -> None:
    text = QUESTION.format(qtype="fill", body="")
    text = text.replace(
        "  options: [qemu-img, virt-df, guestfish, virt-cat]\n  answer: A\n", '  accept: ["qemu-img"]\n'
    )
    tree.write("content/351.5/questions.yaml", text)
    (problem,) = [p for p in load_curriculum(tree.root).problems if p.severity is Severity.ERROR]
    assert problem.line == 9 and "a fill-in question has no options" in problem.message


def test_lint_command_names_file_and_line(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", QUESTION.format(qtype="single", body="    - C would only read."))
    done = run_lpic3("lint", str(tree.root))
    assert done.returncode == 1
    assert "content/351.5/questions.yaml:11: error: question 351.5-letters: explanation names an option" in done.stdout


def test_the_printed_key_explains_with_the_letters_of_the_paper(bundled: Curriculum) -> None:
    done = run_lpic3("exam", "new", "--seed", "42", "--with-key", "--json")
    assert done.returncode == 0, done.stderr
    paper = json.loads(done.stdout)
    by_id = {q.id: q for q in bundled.questions}
    checked = 0
    for entry in paper["questions"]:
        q = by_id[entry["id"]]
        if q.type == "fill":
            continue
        order = tuple(q.options.index(entry["options"][letter]) for letter in LETTERS[: len(q.options)])
        item = ExamItem(q, order)
        assert entry["explanation"] == explanation_for(item)
        check_rendering(item)
        checked += MARKER.search(q.explanation) is not None
    assert checked > 10
