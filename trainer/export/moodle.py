"""The bank as Moodle XML, the format of Moodle's question bank import ("Moodle XML format").

Every element Moodle's importer reads for a ``multichoice`` or ``shortanswer`` question is
written, with its default where lpic3 has nothing to say, so an import does not depend on what a
Moodle version assumes when one is missing. Texts are HTML (``format="html"``); ElementTree
escapes them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from trainer.export.quiz import Category, QuizQuestion, fraction_text

_CORRECT = "Your answer is correct."
_PARTLY = "Your answer is partially correct."
_INCORRECT = "Your answer is incorrect."


def _text(parent: ET.Element, tag: str, text: str, html: bool = True) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(element, "text").text = text
    return element


def _value(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _category(quiz: ET.Element, category: Category) -> None:
    element = ET.SubElement(quiz, "question", {"type": "category"})
    _text(element, "category", category.path, html=False)
    _text(element, "info", "")
    _value(element, "idnumber", "")


def _question(quiz: ET.Element, question: QuizQuestion) -> None:
    element = ET.SubElement(quiz, "question", {"type": question.kind})
    _text(element, "name", question.name, html=False)
    _text(element, "questiontext", question.text)
    _text(element, "generalfeedback", question.general_feedback)
    _value(element, "defaultgrade", "1")
    _value(element, "penalty", "0.3333333")
    _value(element, "hidden", "0")
    _value(element, "idnumber", question.name)
    if question.kind == "multichoice":
        _value(element, "single", "true" if question.single else "false")
        _value(element, "shuffleanswers", "false")
        _value(element, "answernumbering", "ABCD")
        _value(element, "showstandardinstruction", "0")
        _text(element, "correctfeedback", _CORRECT)
        _text(element, "partiallycorrectfeedback", _PARTLY)
        _text(element, "incorrectfeedback", _INCORRECT)
        ET.SubElement(element, "shownumcorrect")
    else:
        _value(element, "usecase", "1" if question.case_sensitive else "0")
    for choice in question.choices:
        answer = ET.SubElement(
            element,
            "answer",
            {
                "fraction": fraction_text(choice.fraction),
                "format": "html" if question.kind == "multichoice" else "plain_text",
            },
        )
        ET.SubElement(answer, "text").text = choice.text
        _text(answer, "feedback", choice.feedback)
    tags = ET.SubElement(element, "tags")
    for tag in question.tags:
        ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag


def to_xml(entries: list[Category | QuizQuestion]) -> bytes:
    """The ``<quiz>`` document, UTF-8 with an XML declaration."""
    quiz = ET.Element("quiz")
    for entry in entries:
        if isinstance(entry, Category):
            _category(quiz, entry)
        else:
            _question(quiz, entry)
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"
