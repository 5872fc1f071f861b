"""The question bank as an Anki deck (``.apkg``), made with genanki.

One note per question. Its guid comes from the question's id and the models and decks have fixed
ids, so importing an updated export updates the notes already in Anki (and keeps their review
history) instead of adding copies. Choice questions show their options in the file's order with
the letters the explanation uses; fill-in questions are type-in cards (``{{type:Answer}}``): Anki
compares the typed text with the first accepted answer, the back lists all of them. The deck is
the exam's, with a subdeck per topic and per objective; notes are tagged with their objective,
topic and official terms.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import sqlite3
import time
import zipfile
from pathlib import Path
from typing import BinaryIO

import genanki  # type: ignore[import-untyped]  # genanki ships no type hints

from trainer.curriculum.model import Curriculum, Question
from trainer.curriculum.questions import LETTERS
from trainer.export import html as render
from trainer.export.bank import Group, explanation, official_terms
from trainer.output import write_atomically
from trainer.study.paper import letters

# Fixed for good: Anki knows a note type by its id, and a re-import must find the same one.
CHOICE_MODEL_ID = 1730305301
FILL_MODEL_ID = 1730305302
_CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.lpic3-objective { font-size: 13px; color: #777; }
.lpic3-option { margin: 0.3em 0; }
.lpic3-answer { font-weight: bold; margin: 0.6em 0; }
code, pre { font-family: monospace; }
"""
_FRONT = '<div class="lpic3-objective">{{Objective}}</div>\n<div class="lpic3-stem">{{Question}}</div>\n'


def _choice_model() -> genanki.Model:
    return genanki.Model(
        CHOICE_MODEL_ID,
        "lpic3 choice question",
        fields=[{"name": name} for name in ("Id", "Question", "Options", "Answer", "Explanation", "Objective")],
        templates=[
            {
                "name": "Question",
                "qfmt": _FRONT + "{{Options}}",
                "afmt": '{{FrontSide}}\n<hr id="answer">\n<div class="lpic3-answer">{{Answer}}</div>\n{{Explanation}}',
            }
        ],
        css=_CSS,
    )


def _fill_model() -> genanki.Model:
    return genanki.Model(
        FILL_MODEL_ID,
        "lpic3 fill-in question",
        fields=[{"name": name} for name in ("Id", "Question", "Answer", "Accepted", "Explanation", "Objective")],
        templates=[
            {
                "name": "Type the answer",
                "qfmt": _FRONT + "{{type:Answer}}",
                "afmt": _FRONT + '<hr id="answer">\n{{type:Answer}}\n<div class="lpic3-answer">{{Accepted}}</div>\n'
                "{{Explanation}}",
            }
        ],
        css=_CSS,
    )


def deck_id(name: str) -> int:
    """A deck's id from its name: the same deck gets the same id in every export (Anki's range)."""
    return (1 << 30) + int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % (1 << 30)


def _tag(prefix: str, text: str) -> str:
    """An Anki tag: no blanks (Anki splits tags at them)."""
    return f"{prefix}::{'_'.join(text.split())}"


def note_for(cur: Curriculum, question: Question, choice: genanki.Model, fill: genanki.Model) -> genanki.Note:
    """The note of one question, its guid derived from the question's id alone."""
    objective = cur.objectives[question.objective]
    label = html.escape(f"{objective.id} {objective.title}")
    explained = render.block(explanation(question))
    tags = [_tag("objective", objective.id), _tag("topic", objective.topic)]
    tags += [_tag("term", term) for term in official_terms(cur, question)]
    guid = genanki.guid_for("lpic3", question.id)
    stem = render.block(question.stem)
    if question.type == "fill":
        accepted = "Accepted: " + ", ".join(f"<code>{html.escape(a)}</code>" for a in question.accept)
        fields = [question.id, stem, html.escape(question.accept[0]), accepted, explained, label]
        return genanki.Note(model=fill, fields=fields, tags=tags, guid=guid)
    options = "\n".join(
        f'<div class="lpic3-option">{letter}. {render.inline(text)}</div>'
        for letter, text in zip(LETTERS, question.options, strict=False)
    )
    answer = f"Answer: {letters(question.answer)}"
    return genanki.Note(
        model=choice, fields=[question.id, stem, options, answer, explained, label], tags=tags, guid=guid
    )


def build_package(cur: Curriculum, groups: list[Group]) -> genanki.Package:
    """The exam's deck with a subdeck per topic and objective, holding one note per question."""
    choice, fill = _choice_model(), _fill_model()
    top = cur.exam.name
    decks = {top: genanki.Deck(deck_id(top), top)}
    for group in groups:
        topic = f"{top}::{group.topic.id} {group.topic.title}"
        name = f"{topic}::{group.objective.id} {group.objective.title}"
        for path in (topic, name):
            decks.setdefault(path, genanki.Deck(deck_id(path), path))
        for question in group.questions:
            decks[name].add_note(note_for(cur, question, choice, fill))
    return genanki.Package(list(decks.values()))


def write_apkg(package: genanki.Package, target: Path) -> None:
    """Write the package to ``target``: a zip holding ``collection.anki2`` and an empty media list.

    The collection is built in memory (genanki's own ``write_to_file`` leaves its temporary
    database behind in /tmp), then the zip goes through ``write_atomically``.
    """
    now = time.time()
    db = sqlite3.connect(":memory:")
    try:
        package.write_to_db(db.cursor(), now, itertools.count(int(now * 1000)))
        db.commit()
        collection = db.serialize()
    finally:
        db.close()

    def write(stream: BinaryIO) -> None:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("collection.anki2", collection)
            archive.writestr("media", "{}")

    write_atomically(target, write)
