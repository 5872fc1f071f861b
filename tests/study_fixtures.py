"""A synthetic curriculum big enough for a full mock exam, independent of the bundled content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.study.store import Store

PER_OBJECTIVE = 12


def make_curriculum(root: Path) -> Curriculum:
    """12 questions per objective: singles, multis and fills, answers spread over the letters."""
    cur = load_curriculum()
    for oid, objective in cur.objectives.items():
        term = objective.terms[0].text
        questions = []
        for n in range(PER_OBJECTIVE):
            base = {
                "id": f"{oid}-synthetic-{n}",
                "objective": oid,
                "terms": [term],
                "difficulty": 1,
                "stem": f"Synthetic question {n} of {oid}?",
                "explanation": "Because it is so.",
            }
            if n % 3 == 0:
                questions.append(base | {"type": "fill", "accept": [f"answer-{oid}-{n}"], "match": {"command": True}})
            elif n % 3 == 1:
                questions.append(
                    base
                    | {
                        "type": "multi",
                        "stem": f"Pick {n} of {oid}. Choose two.",
                        "options": [f"opt{i}" for i in range(5)],
                        "answer": ["A", "C"],
                    }
                )
            else:
                questions.append(
                    base | {"type": "single", "options": [f"opt{i}" for i in range(4)], "answer": "ABCD"[n % 4]}
                )
        folder = root / "content" / oid
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "questions.yaml").write_text(yaml.safe_dump(questions, sort_keys=False))
    loaded = load_curriculum(root)
    assert len(loaded.questions) == PER_OBJECTIVE * 13, [p.format() for p in loaded.problems][:5]
    return loaded


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Curriculum:
    """The small synthetic curriculum, once per test module."""
    return make_curriculum(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh progress store of the test's own."""
    opened = Store.open(tmp_path / "progress.sqlite3")
    yield opened
    opened.close()
