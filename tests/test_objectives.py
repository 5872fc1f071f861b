"""The bundled objectives file is the official one: 13 objectives, their weights and terms."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from trainer.curriculum.loader import load_curriculum

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "objectives-305-300.yaml"


def test_thirteen_objectives_with_official_weights() -> None:
    cur = load_curriculum()
    assert list(cur.objectives) == [
        "351.1",
        "351.2",
        "351.3",
        "351.4",
        "351.5",
        "352.1",
        "352.2",
        "352.3",
        "352.4",
        "353.1",
        "353.2",
        "353.3",
        "353.4",
    ]
    assert [o.weight for o in cur.objectives.values()] == [6, 3, 4, 9, 3, 7, 6, 9, 3, 2, 2, 3, 3]
    assert sum(o.weight for o in cur.objectives.values()) == cur.exam.questions == 60
    assert cur.exam.minutes == 90 and cur.exam.pass_score == 500 and cur.exam.score_range == (200, 800)
    assert [(t.id, len(t.objectives)) for t in cur.topics] == [("351", 5), ("352", 4), ("353", 4)]


@pytest.mark.skipif(
    not REFERENCE.is_file(), reason=f"the reference objectives file {REFERENCE} is not beside the checkout"
)
def test_terms_and_titles_match_the_reference_verbatim() -> None:
    reference = {o["id"]: o for o in yaml.safe_load(REFERENCE.read_text())["objectives"]}
    cur = load_curriculum()
    for oid, objective in cur.objectives.items():
        ref = reference[oid]
        assert objective.title == ref["title"]
        assert objective.weight == ref["weight"]
        official = [t.text for t in objective.terms if t.official]
        assert official == ref["terms"], oid
        assert len(objective.knowledge) == len(ref["key_knowledge"]), oid


def test_352_4_has_no_official_terms_but_measurable_ones() -> None:
    terms = load_curriculum().objectives["352.4"].terms
    assert terms and not any(t.official for t in terms)
