"""The answer-key balance warnings fire on a patterned bank and stay quiet on a balanced one."""

from __future__ import annotations

from tests.conftest import Tree
from trainer.curriculum.balance import balance_problems
from trainer.curriculum.loader import load_curriculum

QUESTION = """
- id: 351.5-q{n}
  type: single
  objective: "351.5"
  terms: [qemu-img]
  difficulty: 1
  stem: Question {n}?
  options: [{options}]
  answer: {answer}
  explanation: Because.
"""


def bank(tree: Tree, rows: list[tuple[list[str], str]]) -> list[str]:
    text = "".join(QUESTION.format(n=n, options=", ".join(opts), answer=ans) for n, (opts, ans) in enumerate(rows))
    tree.write("content/351.5/questions.yaml", text)
    return [p.message for p in balance_problems(load_curriculum(tree.root))]


def test_longest_right_option_is_flagged(tree: Tree) -> None:
    rows = [(["the long and right one", "short", "brief", "tiny"], "A")] * 5 + [
        (["aa", "the long and right one", "bb", "cc"], "B")
    ] * 5
    messages = bank(tree, rows)
    assert any("the right option is the longest in 10 of 10" in m for m in messages)


def test_one_letter_holding_most_answers_is_flagged(tree: Tree) -> None:
    rows = [(["alpha", "bravo", "charlie", "delta"], "C")] * 9 + [(["alpha", "bravo", "charlie", "delta"], "A")]
    assert any("answer C is right in 9 of 10" in m for m in bank(tree, rows))


def test_balanced_bank_is_quiet(tree: Tree) -> None:
    letters = "ABCDABCDAB"
    rows = [(["aaaa", "bbbb", "cccc", "dddd"], letter) for letter in letters]
    assert not [m for m in bank(tree, rows) if "single-answer" in m]


def test_type_mix_is_checked(tree: Tree) -> None:
    rows = [(["aaaa", "bbbb", "cccc", "dddd"], letter) for letter in "ABCDABCDAB"]
    messages = bank(tree, rows)
    assert any("0 of 10 questions are fill" in m and "(2)" in m for m in messages)
    assert any("0 of 10 questions are multi" in m for m in messages)
