"""The questions an export carries and what every format shows of one question.

Exports keep the options in the file's order, so the letters a card or a quiz shows are the file's
(A is the first option) and an explanation's markers resolve to those letters through the study
engine's own ``explanation_for``: the same text the trainer shows, with no second resolver.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from trainer.curriculum.model import Curriculum, Objective, Question, Topic
from trainer.curriculum.references import CODE, MARKER
from trainer.curriculum.terms import term_index
from trainer.errors import UsageError
from trainer.study.exam import ExamItem
from trainer.study.explain import explanation_for


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    """The questions of one objective, with the topic it belongs to (a category or a subdeck)."""

    topic: Topic
    objective: Objective
    questions: tuple[Question, ...]


def select(cur: Curriculum, objectives: Iterable[str] | None) -> list[Group]:
    """The bank by topic and objective, in curriculum order; only ``objectives`` when given.

    An objective the curriculum does not have is a UsageError that names the known ones, and so is
    a selection without a single question (an empty file would look like a successful export).
    """
    wanted = list(dict.fromkeys(objectives or ()))
    unknown = [oid for oid in wanted if oid not in cur.objectives]
    if unknown:
        known = ", ".join(cur.objectives)
        raise UsageError(f"no objective {', '.join(unknown)} in this curriculum (known: {known})")
    groups = []
    for topic in cur.topics:
        for oid in topic.objectives:
            questions = tuple(sorted(cur.questions_for(oid), key=lambda q: q.id))
            if (not wanted or oid in wanted) and questions:
                groups.append(Group(topic, cur.objectives[oid], questions))
    if not groups:
        raise UsageError(f"no questions to export in {', '.join(wanted) or 'this curriculum'}")
    return groups


def in_file_order(question: Question) -> ExamItem:
    """The question as an export shows it: options in the file's order, letters A, B, ... as in the file."""
    return ExamItem(question, tuple(range(len(question.options))))


def explanation(question: Question) -> str:
    """The explanation (Markdown) with each ``{X}`` marker as the letter the export shows."""
    return explanation_for(in_file_order(question))


def official_terms(cur: Curriculum, question: Question) -> list[str]:
    """The official text of each term the question names (a question may name a term by an alias)."""
    index = term_index(cur.objectives[question.objective])
    return list(dict.fromkeys(index.get(term.casefold(), term) for term in question.terms))


_ITEM = re.compile(r"^- ", re.MULTILINE)


def option_feedback(question: Question) -> list[str]:
    """For each option (file order), the parts of the explanation that name it (Markdown, markers
    resolved), empty where the explanation names the option only as a whole.

    A part is a paragraph, or one item of a list with its indented lines: "- {A} is wrong: ..." is
    the feedback of option A, "**{B} and {D}** are right: ..." that of both B and D. Markers inside
    code are not references and do not count.
    """
    text = question.explanation.strip()
    code = [m.span() for m in CODE.finditer(text)]
    named: list[list[str]] = [[] for _ in question.options]
    for start, end in _parts(text):
        letters = {
            m.group(1) for m in MARKER.finditer(text, start, end) if not any(a <= m.start() < b for a, b in code)
        }
        if letters:
            shown = _unlisted(explanation(dataclasses.replace(question, explanation=text[start:end])))
            for letter in sorted(letters):
                index = ord(letter) - ord("A")
                if index < len(named):
                    named[index].append(shown)
    return ["\n\n".join(parts) for parts in named]


def _unlisted(part: str) -> str:
    """A list item as text of its own: without its dash, its continuation lines not indented."""
    if not part.startswith("- "):
        return part
    return "\n".join(line.strip() for line in part[2:].split("\n"))


def _parts(text: str) -> list[tuple[int, int]]:
    """Character spans of the paragraphs of ``text``, a list split into its items."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for block in re.split(r"(\n[ \t]*\n)", text):
        if block.strip() and not block.startswith("\n"):
            starts = [m.start() for m in _ITEM.finditer(block)]
            if not starts or starts[0] != 0:
                starts.insert(0, 0)
            spans += [(offset + a, offset + b) for a, b in zip(starts, [*starts[1:], len(block)], strict=True)]
        offset += len(block)
    return spans
