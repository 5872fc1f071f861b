"""A content tree for the export tests: the synthetic curriculum plus questions whose every text
holds what GIFT, XML and HTML give a meaning to (``~ = # { } :``, a backslash, ``<``, ``&``, ``*``)
and explanations that name options by marker."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.study_fixtures import PER_OBJECTIVE, make_curriculum
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import Severity

SPECIAL = "~ = # { } : \\ < & *"
SPECIAL_QUESTIONS = [
    {
        "id": "351.1-special-single",
        "type": "single",
        "objective": "351.1",
        "terms": ["VMM"],  # an alias: the official term is "Hypervisor"
        "difficulty": 1,
        "stem": f"Which line holds {SPECIAL}?\n\nIt is `a=b {{c}}`.",
        "options": [f"first {SPECIAL}", "second: a#b", "third ~x~", "fourth {y}"],
        "answer": "C",
        "explanation": (
            f"**{{C}}** is right: it holds {SPECIAL}.\n\n"
            "- {A} is wrong: it is the first.\n"
            "- {B} and {D} are wrong: they hold `{A}`, which is code.\n"
        ),
    },
    {
        "id": "351.1-special-multi",
        "type": "multi",
        "objective": "351.1",
        "terms": ["Hypervisor"],
        "difficulty": 2,
        "stem": "Which three are right? Choose three.",
        "options": ["one = 1", "two # 2", "three { 3 }", "four : 4", "five \\ 5"],
        "answer": ["A", "C", "E"],
        "explanation": "{E}, {A} and {C} are right.\n\n- {B} is wrong.\n- {D} is wrong too.\n",
    },
    {
        "id": "351.1-special-fill",
        "type": "fill",
        "objective": "351.1",
        "terms": ["Hypervisor"],
        "difficulty": 1,
        "stem": "Type `a~b=c#d{e}f:g\\h`.",
        "accept": ["a~b=c#d{e}f:g\\h", "x * y", "<&>"],
        "match": {"ignore_case": True},
        "explanation": f"Because {SPECIAL}.",
    },
]


def special_tree(root: Path) -> Curriculum:
    """The synthetic tree with SPECIAL_QUESTIONS added to 351.1, loaded without errors."""
    make_curriculum(root)
    path = root / "content" / "351.1" / "questions.yaml"
    path.write_text(path.read_text() + yaml.safe_dump(SPECIAL_QUESTIONS, sort_keys=False))
    cur = load_curriculum(root)
    errors = [p.format() for p in cur.problems if p.severity is Severity.ERROR]
    assert not errors, errors
    assert len(cur.questions) == PER_OBJECTIVE * 13 + len(SPECIAL_QUESTIONS)
    return cur


@pytest.fixture(scope="module")
def special(tmp_path_factory: pytest.TempPathFactory) -> Curriculum:
    """The special tree, once per test module."""
    return special_tree(tmp_path_factory.mktemp("export-tree"))
