"""The item analysis against figures worked out by hand for a class of six and three questions.

The class (shares right on a 60-question paper): s1 50, s2 45, s3 40, s4 30, s5 20, s6 10. The top
third is {s1, s2}, the bottom third {s5, s6}. The rest scores below are the correct answers on the
other 59 questions (the correlation does not change when all of them are divided by 59).

Q1, single, 4 options, key B (index 1): s1 B, s2 B, s3 A, s4 B, s5 C, s6 blank.
Q2, multi, 5 options, key A+C: s1 A,C; s2 B,A; s3 C,A; s4 A,B; s5 A,C; s6 A,C,D.
Q3, fill, only on the papers of s1, s3, s4, s6: "virsh  list" (right), "virsh list" (right), "virsh ls", blank.
"""

from __future__ import annotations

import math

import pytest

from trainer.classroom.itemanalysis import (
    Answer,
    ResponseCount,
    Score,
    analyse,
    class_stats,
    correlation,
    discrimination_index,
    facility,
    group_discrimination,
    option_counts,
    response_counts,
    thirds,
)

SCORES = {
    "s1": Score(50, 60),
    "s2": Score(45, 60),
    "s3": Score(40, 60),
    "s4": Score(30, 60),
    "s5": Score(20, 60),
    "s6": Score(10, 60),
}
UPPER, LOWER = frozenset({"s1", "s2"}), frozenset({"s5", "s6"})

Q1 = [
    Answer("s1", True, (1,)),
    Answer("s2", True, (1,)),
    Answer("s3", False, (0,)),
    Answer("s4", True, (1,)),
    Answer("s5", False, (2,)),
    Answer("s6", False, None),
]
Q2 = [
    Answer("s1", True, (0, 2)),
    Answer("s2", False, (1, 0)),
    Answer("s3", True, (2, 0)),
    Answer("s4", False, (0, 1)),
    Answer("s5", True, (0, 2)),
    Answer("s6", False, (0, 2, 3)),
]
Q3 = [
    Answer("s1", True, "virsh  list"),
    Answer("s3", True, "virsh list"),
    Answer("s4", False, "virsh ls"),
    Answer("s6", False, None),
]


def test_thirds_of_six_are_two_and_two() -> None:
    assert thirds(SCORES) == (UPPER, LOWER)


def test_thirds_of_five_are_one_each_and_ties_go_by_name() -> None:
    tied = {"e": Score(30, 60), "d": Score(30, 60), "c": Score(30, 60), "b": Score(10, 60), "a": Score(50, 60)}
    assert thirds(tied) == (frozenset({"a"}), frozenset({"b"}))
    level = {name: Score(30, 60) for name in "cab"}
    assert thirds(level) == (frozenset({"a"}), frozenset({"c"}))
    assert thirds({"a": Score(1, 2), "b": Score(2, 2)}) == (frozenset(), frozenset())


def test_single_answer_question_by_hand() -> None:
    stats = analyse(Q1, 4, SCORES, UPPER, LOWER)
    assert (stats.attempts, stats.right, stats.blank) == (6, 3, 1)
    assert stats.facility == 0.5
    assert stats.discrimination == 1.0  # top third 2/2 right, bottom third 0/2
    # marks 1 1 0 1 0 0 (mean .5); rest 49 44 40 29 20 10 (mean 32, deviations 17 12 8 -3 -12 -22):
    # covariance sum .5 * (17 + 12 - 8 - 3 + 12 + 22) = 26; sums of squares 1.5 and 1134
    assert stats.index == pytest.approx(26 / math.sqrt(1.5 * 1134))
    assert stats.options == (1, 3, 1, 0)  # D: a distractor nobody chose
    assert stats.responses == (
        ResponseCount((1,), 3, True),
        ResponseCount((0,), 1, False),
        ResponseCount((2,), 1, False),
        ResponseCount(None, 1, False),
    )


def test_multi_answer_question_by_hand() -> None:
    stats = analyse(Q2, 5, SCORES, UPPER, LOWER)
    assert (stats.attempts, stats.right, stats.blank, stats.facility) == (6, 3, 0, 0.5)
    assert stats.discrimination == 0.0  # s1 right, s2 wrong; s5 right, s6 wrong: .5 - .5
    # marks 1 0 1 0 1 0; rest 49 45 39 30 19 10 (deviations 17 13 7 -2 -13 -22): covariance sum
    # .5 * (17 - 13 + 7 + 2 - 13 + 22) = 11; sums of squares 1.5 and 1164
    assert stats.index == pytest.approx(11 / math.sqrt(1.5 * 1164))
    assert stats.options == (6, 2, 4, 1, 0)  # every attempt chose A; E drew nobody
    assert stats.responses == (
        ResponseCount((0, 2), 3, True),  # "C, A" and "A, C" are one response
        ResponseCount((0, 1), 2, False),
        ResponseCount((0, 2, 3), 1, False),
    )


def test_fill_in_question_on_four_papers_by_hand() -> None:
    stats = analyse(Q3, 0, SCORES, UPPER, LOWER)
    assert (stats.attempts, stats.right, stats.blank, stats.facility) == (4, 2, 1, 0.5)
    assert stats.discrimination == 1.0  # of the thirds only s1 (right) and s6 (wrong) had it
    # marks 1 1 0 0; rest 49 39 30 10 (mean 32, deviations 17 7 -2 -22): covariance sum 24; squares 1 and 826
    assert stats.index == pytest.approx(24 / math.sqrt(826))
    assert stats.options == ()
    assert stats.responses == (
        ResponseCount("virsh list", 2, True),  # the blanks folded, as the grader folds them
        ResponseCount("virsh ls", 1, False),
        ResponseCount(None, 1, False),
    )


def test_undefined_figures_are_none_not_zero() -> None:
    assert facility([]) is None
    only_top = [Answer("s1", True, (1,))]
    assert group_discrimination(only_top, UPPER, LOWER) is None  # nobody of the bottom third had it
    assert discrimination_index(only_top, SCORES) is None  # one attempt
    all_right = [Answer("s1", True, (1,)), Answer("s6", True, (1,))]
    assert discrimination_index(all_right, SCORES) is None  # no spread in the marks
    assert correlation([1.0, 0.0], [0.5, 0.5]) is None  # no spread in the rest
    assert correlation([1.0, 0.0, 1.0], [0.9, 0.1, 0.7]) == pytest.approx(
        # means 2/3 and 17/30; deviations (1/3, -2/3, 1/3) and (1/3, -7/15, 2/15)
        (1 / 9 + 14 / 45 + 2 / 45) / math.sqrt((2 / 3) * (1 / 9 + 49 / 225 + 4 / 225))
    )


def test_a_letter_written_twice_counts_once_per_option() -> None:
    twice = [Answer("s1", False, (1, 1)), Answer("s2", True, (1,))]
    assert option_counts(twice, 3) == (0, 2, 0)
    assert response_counts(twice) == (ResponseCount((1,), 1, True), ResponseCount((1, 1), 1, False))


def test_class_figures_by_hand() -> None:
    stats = class_stats(SCORES)  # shares 50 45 40 30 20 10 (of 60)
    assert stats.attempts == 6
    assert stats.mean == pytest.approx(195 / 6 / 60)
    assert stats.median == pytest.approx(35 / 60)
    # deviations from 32.5: 17.5 12.5 7.5 -2.5 -12.5 -22.5; squares 306.25 156.25 56.25 6.25 156.25 506.25,
    # sum 1187.5; / 5 = 237.5
    assert stats.deviation == pytest.approx(math.sqrt(237.5) / 60)
    one = class_stats({"s1": Score(30, 60)})
    assert (one.attempts, one.mean, one.median, one.deviation) == (1, 0.5, 0.5, None)
    assert class_stats({}).mean is None
