"""The shape of a question bank: the exam's mix of types, and an answer key with no pattern.

The real exam mixes single-answer, multiple-answer and fill-in questions; a bank with too few of
the latter two trains for a different exam. And two tells are common in hand-written banks: the
right option is the longest one (authors qualify the true statement and leave the false ones
short), and one letter holds most answers. All are warnings per objective, so ``lint --strict``
fails on them.
"""

from __future__ import annotations

import math
from collections import Counter

from trainer.curriculum.loader import QUESTIONS_FILE
from trainer.curriculum.model import Curriculum, Question
from trainer.curriculum.problems import Problem, Severity

MIN_QUESTIONS = 8  # below this a share says nothing
MAX_LONGEST_SHARE = 0.40  # four or five options: chance is 20-25 %
MAX_LETTER_SHARE = 0.40
MIN_SHARE = {"fill": 0.20, "multi": 0.15}  # the rest single-answer


def correct_is_longest(question: Question) -> bool:
    """Whether the (single) right option is strictly longer than every other option."""
    right = len(question.options[question.answer[0]].strip())
    return all(right > len(o.strip()) for i, o in enumerate(question.options) if i != question.answer[0])


def balance_problems(cur: Curriculum) -> list[Problem]:
    problems = []
    for oid in cur.objectives:
        questions = cur.questions_for(oid)
        path = cur.root / "content" / oid / QUESTIONS_FILE
        if len(questions) >= MIN_QUESTIONS:
            for kind, share in MIN_SHARE.items():
                count = sum(q.type == kind for q in questions)
                if count < share * len(questions):
                    problems.append(
                        Problem(
                            path,
                            0,
                            Severity.WARNING,
                            f"{count} of {len(questions)} questions are {kind}: the exam's mix "
                            f"needs at least {share:.0%} ({math.ceil(share * len(questions))})",
                            oid,
                        )
                    )
        singles = [q for q in questions if q.type == "single"]
        if len(singles) < MIN_QUESTIONS:
            continue
        longest = sum(correct_is_longest(q) for q in singles)
        if longest / len(singles) > MAX_LONGEST_SHARE:
            problems.append(
                Problem(
                    path,
                    0,
                    Severity.WARNING,
                    f"the right option is the longest in {longest} of {len(singles)} single-answer "
                    f"questions ({longest / len(singles):.0%}): a candidate could guess by length; "
                    f"make wrong options as specific as right ones (at most "
                    f"{MAX_LONGEST_SHARE:.0%})",
                    oid,
                )
            )
        letter, count = Counter(q.answer[0] for q in singles).most_common(1)[0]
        if count / len(singles) > MAX_LETTER_SHARE:
            problems.append(
                Problem(
                    path,
                    0,
                    Severity.WARNING,
                    f"answer {'ABCDEFGH'[letter]} is right in {count} of {len(singles)} single-answer "
                    f"questions ({count / len(singles):.0%}): spread the right answers over the "
                    f"letters",
                    oid,
                )
            )
    return problems
