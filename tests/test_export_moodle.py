"""`lpic3 export moodle`: Moodle XML parsed back and compared with the bank (categories, every
question, fractions that sum as Moodle's partial credit needs, per-option feedback, every accepted
answer), and GIFT read back by a small GIFT reader: what GIFT gives a meaning to (``~ = # { } :``,
backslash) survives escaping."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_lpic3
from tests.export_fixtures import SPECIAL, special
from trainer.curriculum.model import Curriculum, Question

__all__ = ["special"]  # a fixture, used by name
# What Moodle's importer reads for each type (qformat_xml::import_multichoice, import_shortanswer).
MULTICHOICE_ELEMENTS = [
    "name",
    "questiontext",
    "generalfeedback",
    "defaultgrade",
    "penalty",
    "hidden",
    "idnumber",
    "single",
    "shuffleanswers",
    "answernumbering",
    "correctfeedback",
    "partiallycorrectfeedback",
    "incorrectfeedback",
    "answer",
]
SHORTANSWER_ELEMENTS = [*MULTICHOICE_ELEMENTS[:7], "usecase", "answer"]


def export(cur: Curriculum, out: Path, *extra: str) -> bytes:
    result = run_lpic3("export", "moodle", str(cur.root), "-o", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def text_of(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


def plain(markup: str) -> str:
    """HTML or Markdown as the reader sees it: tags and backquotes dropped, entities resolved, blanks single."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("`", "").split())


def right_options(question: Question) -> set[int]:
    return set(question.answer)


def check_fractions(question: Question, fractions: list[float]) -> None:
    """Right options sum to 100 %; single: the wrong ones 0; multi: ticking every box scores 0."""
    right = right_options(question)
    assert [i for i, f in enumerate(fractions) if f > 0] == sorted(right)
    assert sum(fractions[i] for i in right) == pytest.approx(100, abs=0.001)
    if question.type == "single":
        assert [f for i, f in enumerate(fractions) if i not in right] == [0] * (len(fractions) - 1)
    else:
        assert sum(fractions) == pytest.approx(0, abs=0.001)
        assert all(f < 0 for i, f in enumerate(fractions) if i not in right)


def test_moodle_xml_holds_every_question_as_the_bank_has_it(special: Curriculum, tmp_path: Path) -> None:
    quiz = ET.fromstring(export(special, tmp_path / "bank.xml"))
    assert quiz.tag == "quiz"
    by_id = {q.id: q for q in special.questions}
    topics = {t.id: t for t in special.topics}
    category = ""
    seen = []
    for element in quiz.findall("question"):
        kind = element.get("type")
        if kind == "category":
            category = text_of(element, "category/text")
            assert element.find("info") is not None
            continue
        question = by_id[text_of(element, "name/text")]
        seen.append(question.id)
        objective = special.objectives[question.objective]
        topic = topics[objective.topic]
        assert category == (
            f"$course$/top/{special.exam.name}/{topic.id} {topic.title}/{objective.id} {objective.title}"
        )
        assert kind == ("shortanswer" if question.type == "fill" else "multichoice")
        required = SHORTANSWER_ELEMENTS if kind == "shortanswer" else MULTICHOICE_ELEMENTS
        assert set(required) <= {child.tag for child in element}
        assert element.find("questiontext").get("format") == "html"  # type: ignore[union-attr]
        assert plain(text_of(element, "questiontext/text")) == plain(question.stem)
        assert text_of(element, "generalfeedback/text")
        tags = [text_of(tag, "text") for tag in element.findall("tags/tag")]
        assert tags[0] == question.objective
        answers = element.findall("answer")
        fractions = [float(a.get("fraction", "nan")) for a in answers]
        if kind == "shortanswer":
            assert [text_of(a, "text").replace("\\*", "*") for a in answers] == list(question.accept)
            assert fractions == [100] * len(question.accept)
            assert text_of(element, "usecase") == ("0" if question.match.ignore_case else "1")
        else:
            assert text_of(element, "single") == ("true" if question.type == "single" else "false")
            assert text_of(element, "shuffleanswers") == "false"  # the explanations name options by letter
            assert text_of(element, "answernumbering") == "ABCD"
            assert len(answers) == len(question.options)
            assert all(text_of(a, "feedback/text") for a in answers)
            check_fractions(question, fractions)
    assert sorted(seen) == sorted(by_id)
    categories = [text_of(e, "category/text") for e in quiz.findall("question[@type='category']")]
    assert len(categories) == len(special.topics) + len(special.objectives)


def test_per_option_feedback_comes_from_the_explanation(special: Curriculum, tmp_path: Path) -> None:
    quiz = ET.fromstring(export(special, tmp_path / "one.xml", "--objective", "351.1"))
    by_name = {text_of(e, "name/text"): e for e in quiz.findall("question") if e.get("type") != "category"}
    single = by_name["351.1-special-single"]
    feedback = [plain(text_of(a, "feedback/text")) for a in single.findall("answer")]
    assert feedback[0] == "A is wrong: it is the first."
    assert feedback[1] == feedback[3] == "B and D are wrong: they hold {A}, which is code."
    assert feedback[2] == f"C is right: it holds {SPECIAL}."
    assert plain(text_of(single.findall("answer")[0], "text")) == f"first {SPECIAL}"
    assert [text_of(a, "text") for a in by_name["351.1-special-fill"].findall("answer")] == [
        "a~b=c#d{e}f:g\\h",
        "x \\* y",
        "<&>",
    ]


# --- GIFT, read back ------------------------------------------------------------------------------


def unescaped(text: str) -> list[tuple[str, bool]]:
    """Each character of GIFT text and whether a backslash escaped it (``\\n`` is a line break)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(("\n" if text[i + 1] == "n" else text[i + 1], True))
            i += 2
        else:
            out.append((text[i], False))
            i += 1
    return out


@dataclass
class GiftAnswer:
    mark: str
    text: str = ""
    feedback: str | None = None


@dataclass
class GiftQuestion:
    name: str
    text: str
    answers: list[GiftAnswer] = field(default_factory=list)
    general: str = ""


def read_gift(source: str) -> tuple[list[str], list[tuple[str, GiftQuestion]]]:
    """Categories and (category, question) pairs of a GIFT file; structure only where unescaped."""
    categories: list[str] = []
    questions: list[tuple[str, GiftQuestion]] = []
    for block in source.strip().split("\n\n"):
        if block.startswith("$CATEGORY: "):
            categories.append(block.removeprefix("$CATEGORY: "))
            continue
        chars = unescaped(block)
        plain_at = ["" if escaped else char for char, escaped in chars]
        text = "".join(char for char, _ in chars)
        assert text.startswith("::")
        name_end = next(i for i in range(2, len(chars)) if plain_at[i] == ":" and plain_at[i + 1] == ":")
        opened = plain_at.index("{")
        closed = len(plain_at) - 1 - plain_at[::-1].index("}")
        assert text[name_end + 2 : name_end + 8] == "[html]"
        question = GiftQuestion(text[2:name_end], text[name_end + 8 : opened])
        assert [c for c in plain_at[name_end + 2 : opened] if c and c in "~=#{}:"] == [], (
            "unescaped special in the text"
        )
        i = opened + 1
        current: GiftAnswer | None = None
        while i < closed:
            char = plain_at[i]
            if plain_at[i : i + 4] == ["#"] * 4:
                question.general = text[i + 4 : closed].rstrip("\n")
                break
            if char in ("=", "~"):
                current = GiftAnswer(char)
                question.answers.append(current)
            elif char == "#" and current is not None:
                current.feedback = ""
            elif char in ("{", "}", ":"):
                raise AssertionError(f"unescaped {char!r} in an answer of {question.name}")
            elif current is not None and not (char in ("\t", "\n") and not chars[i][1]):
                if current.feedback is None:
                    current.text += chars[i][0]
                else:
                    current.feedback += chars[i][0]
            i += 1
        assert text[closed + 1 :] == ""
        questions.append((categories[-1], question))
    return categories, questions


def test_gift_escapes_what_gift_gives_a_meaning_to(special: Curriculum, tmp_path: Path) -> None:
    source = export(special, tmp_path / "bank.gift", "--format", "gift").decode()
    categories, questions = read_gift(source)
    assert len(categories) == len(special.topics) + len(special.objectives)
    by_id = {q.id: q for q in special.questions}
    assert sorted(q.name for _, q in questions) == sorted(by_id)
    for category, read in questions:
        question = by_id[read.name]
        assert category.endswith(f"/{question.objective} {special.objectives[question.objective].title}")
        assert plain(read.text) == plain(question.stem)
        assert read.general
        if question.type == "fill":
            assert [(a.mark, a.text.replace("\\*", "*")) for a in read.answers] == [("=", a) for a in question.accept]
            continue
        assert [plain(a.text.split("%")[-1] if a.text.startswith("%") else a.text) for a in read.answers] == [
            plain(option) for option in question.options
        ]
        if question.type == "single":
            assert [a.mark for a in read.answers] == [
                "=" if i in question.answer else "~" for i in range(len(read.answers))
            ]
        else:
            check_fractions(question, [float(a.text.split("%")[1]) for a in read.answers])
        assert all(a.feedback for a in read.answers)
    special_single = next(q for _, q in questions if q.name == "351.1-special-single")
    assert plain(special_single.answers[0].text) == f"first {SPECIAL}"
    assert plain(special_single.answers[2].feedback or "") == f"C is right: it holds {SPECIAL}."
    assert plain(special_single.text) == "Which line holds ~ = # { } : \\ < & *? It is a=b {c}."
