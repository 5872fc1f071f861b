"""A synthetic curriculum big enough for a full mock exam, independent of the bundled content."""

from __future__ import annotations

from pathlib import Path

import yaml

from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum

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
