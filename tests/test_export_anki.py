"""`lpic3 export anki`: the .apkg is the zip of an Anki collection (a SQLite database) holding one note
per question, with the note types, decks and tags Anki expects, and ids that stay the same from one
export to the next (so a re-import updates notes instead of duplicating them)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from tests.conftest import run_lpic3
from tests.export_fixtures import special
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.export.anki import CHOICE_MODEL_ID, FILL_MODEL_ID, build_package, deck_id, write_apkg
from trainer.export.bank import select

__all__ = ["special"]  # a fixture, used by name
FIELD_SEPARATOR = "\x1f"


def export(cur: Curriculum, out: Path, *extra: str) -> sqlite3.Connection:
    """Run `lpic3 export anki` on ``cur``'s tree; the collection it wrote, opened read-only."""
    result = run_lpic3("export", "anki", str(cur.root), "-o", str(out), *extra)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return open_collection(out)


def open_collection(apkg: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as archive:
        assert set(archive.namelist()) == {"collection.anki2", "media"}
        assert json.loads(archive.read("media")) == {}
        database = apkg.with_suffix(".anki2")
        database.write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True)


def notes(db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every note by its first field (the question id): guid, note type, fields, tags."""
    found = {}
    for guid, mid, flds, tags in db.execute("SELECT guid, mid, flds, tags FROM notes"):
        fields = flds.split(FIELD_SEPARATOR)
        found[fields[0]] = {"guid": guid, "mid": mid, "fields": fields, "tags": set(tags.split())}
    return found


def collection_json(db: sqlite3.Connection, column: str) -> dict[str, Any]:
    (value,) = db.execute(f"SELECT {column} FROM col").fetchone()
    loaded: dict[str, Any] = json.loads(value)
    return loaded


def test_one_note_per_question_with_note_types_decks_and_tags(special: Curriculum, tmp_path: Path) -> None:
    db = export(special, tmp_path / "deck.apkg")
    assert db.execute("SELECT count(*) FROM col").fetchone() == (1,)
    found = notes(db)
    assert sorted(found) == sorted(q.id for q in special.questions)
    # Note types: one for choice questions, one with a type-in field for fill-ins, at fixed ids.
    models = collection_json(db, "models")
    assert set(models) == {str(CHOICE_MODEL_ID), str(FILL_MODEL_ID)}
    fill_model = models[str(FILL_MODEL_ID)]
    assert "{{type:Answer}}" in fill_model["tmpls"][0]["qfmt"]
    assert [f["name"] for f in fill_model["flds"]] == [
        "Id",
        "Question",
        "Answer",
        "Accepted",
        "Explanation",
        "Objective",
    ]
    # Decks: the exam's, a subdeck per topic and per objective; each card sits in its objective's deck.
    decks = {deck["name"]: int(deck_id_) for deck_id_, deck in collection_json(db, "decks").items()}
    top = special.exam.name
    for topic in special.topics:
        for oid in topic.objectives:
            objective = special.objectives[oid]
            name = f"{top}::{topic.id} {topic.title}::{oid} {objective.title}"
            assert decks[name] == deck_id(name)
    assert decks[top] == deck_id(top)
    topics = {topic.id: f"{topic.id} {topic.title}" for topic in special.topics}
    card_decks = dict(db.execute("SELECT n.flds, c.did FROM cards c JOIN notes n ON c.nid = n.id").fetchall())
    assert len(card_decks) == len(found)  # one card per note
    by_id = {q.id: q for q in special.questions}
    for flds, did in card_decks.items():
        objective = special.objectives[by_id[flds.split(FIELD_SEPARATOR)[0]].objective]
        assert did == decks[f"{top}::{topics[objective.topic]}::{objective.id} {objective.title}"]
    for question in special.questions:
        note = found[question.id]
        assert note["mid"] == (FILL_MODEL_ID if question.type == "fill" else CHOICE_MODEL_ID)
        assert f"objective::{question.objective}" in note["tags"]
        assert f"topic::{question.objective.split('.')[0]}" in note["tags"]
    # A term named by an alias ("VMM") is tagged by its official text.
    assert "term::Hypervisor" in found["351.1-special-single"]["tags"]


def test_options_letters_answer_and_explanation_as_lpic3_shows_them(special: Curriculum, tmp_path: Path) -> None:
    found = notes(export(special, tmp_path / "deck.apkg", "--objective", "351.1"))
    assert {q.split("-")[0] for q in found} == {"351.1"}
    _, stem, options, answer, explanation, objective = found["351.1-special-single"]["fields"]
    assert "<code>a=b {c}</code>" in stem
    assert [line.split(". ", 1)[0].rsplit(">", 1)[-1] for line in options.splitlines()] == ["A", "B", "C", "D"]
    assert "first ~ = # { } : \\ &lt; &amp; *" in options
    assert answer == "Answer: C"
    # Markers are the letters shown; the `{A}` inside code is code, not a reference.
    assert "<strong>C</strong> is right" in explanation
    assert "B and D are wrong: they hold <code>{A}</code>" in explanation
    assert "{C}" not in explanation and "{B}" not in explanation
    assert objective == "351.1 Virtualization Concepts and Theory"
    multi = found["351.1-special-multi"]["fields"]
    assert multi[3] == "Answer: A, C, E" and "A, C and E are right." in multi[4]
    _, _, typed, accepted, _, _ = found["351.1-special-fill"]["fields"]
    assert typed == "a~b=c#d{e}f:g\\h"  # what Anki compares the typed answer with
    fill = next(q for q in special.questions if q.id == "351.1-special-fill")
    assert accepted.count("<code>") == len(fill.accept) == 3
    assert "<code>&lt;&amp;&gt;</code>" in accepted


def test_ids_are_the_same_in_every_export(special: Curriculum, tmp_path: Path) -> None:
    """Note guids, note types and deck ids do not change between exports: Anki updates, not duplicates."""
    first, second = (export(special, tmp_path / f"{n}.apkg") for n in ("one", "two"))
    guids = [{k: v["guid"] for k, v in notes(db).items()} for db in (first, second)]
    assert guids[0] == guids[1]
    assert len(set(guids[0].values())) == len(guids[0])
    for column in ("models", "decks"):
        assert set(collection_json(first, column)) == set(collection_json(second, column))


def test_the_bundled_bank_exports_every_question(tmp_path: Path) -> None:
    """Real content (explanations naming options by marker): every question becomes one note, no marker left."""
    cur = load_curriculum()
    out = tmp_path / "bundled.apkg"
    write_apkg(build_package(cur, select(cur, None)), out)
    found = notes(open_collection(out))
    assert sorted(found) == sorted(q.id for q in cur.questions)
    assert not [qid for qid, note in found.items() if "{A}" in note["fields"][4].replace("<code>{A}</code>", "")]


def test_objective_filter(special: Curriculum, tmp_path: Path) -> None:
    out = tmp_path / "one.apkg"
    result = run_lpic3("export", "anki", str(special.root), "--objective", "351.5", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(notes(open_collection(out))) == sorted(q.id for q in special.questions_for("351.5"))
    count = len(special.questions_for("351.5"))
    assert result.stdout == f"wrote {count} questions of 1 objective(s) to the Anki deck {out}\n"
