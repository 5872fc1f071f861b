"""The bank as a Moodle quiz bank, before it is written as Moodle XML (``moodle``) or GIFT (``gift``).

What both formats need is decided once here: the category path of each topic and objective, the
HTML of each text, each option's fraction and feedback, the accepted answers of a fill-in question.

Fractions: a single-answer question gives 100 % for the right option, 0 for the others. A
multiple-answer question with k right options out of n gives 100/k for each right one and
-100/(n-k) for each wrong one, so the right ones sum to 100 % and ticking every box scores 0:
guessing everything earns nothing. These values are all on Moodle's list of grades.

Options keep the file's order (``shuffleanswers`` off, numbered A, B, C ...), because the
explanations name options by those letters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trainer.curriculum.model import Curriculum, Question
from trainer.export import html as render
from trainer.export.bank import Group, explanation, official_terms, option_feedback


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a multichoice question (HTML) or one accepted answer of a shortanswer (plain
    text, a literal "*" escaped as Moodle's shortanswer wants)."""

    text: str
    fraction: float  # percent, as Moodle writes it
    feedback: str  # HTML, may be empty


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    name: str  # the question's id: Moodle's name and idnumber
    kind: str  # "multichoice" or "shortanswer"
    single: bool
    text: str  # HTML
    general_feedback: str  # HTML: the whole explanation
    choices: tuple[Choice, ...]
    case_sensitive: bool
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Category:
    path: str  # "$course$/top/Exam/351 Full Virtualization/351.5 ...", "/" in a name doubled


def category_part(name: str) -> str:
    """A name as one level of a Moodle category path, where "/" separates levels."""
    return name.replace("/", "//")


def items(cur: Curriculum, groups: list[Group]) -> Iterator[Category | QuizQuestion]:
    """A category for each topic and objective, each followed by what goes into it."""
    top = f"$course$/top/{category_part(cur.exam.name)}"
    seen: set[str] = set()
    for group in groups:
        topic = f"{top}/{category_part(f'{group.topic.id} {group.topic.title}')}"
        if topic not in seen:
            seen.add(topic)
            yield Category(topic)
        yield Category(f"{topic}/{category_part(f'{group.objective.id} {group.objective.title}')}")
        for question in group.questions:
            yield quiz_question(cur, question)


def quiz_question(cur: Curriculum, question: Question) -> QuizQuestion:
    tags = (question.objective, *official_terms(cur, question))
    general = render.block(explanation(question))
    if question.type == "fill":
        # "*" is a shortanswer's wildcard in Moodle: a literal one is written "\*".
        accepted = tuple(Choice(answer.replace("*", "\\*"), 100.0, "") for answer in question.accept)
        return QuizQuestion(
            question.id, "shortanswer", True, render.block(question.stem), general, accepted,
            not question.match.ignore_case, tags,
        )  # fmt: skip
    right = set(question.answer)
    wrong_count = len(question.options) - len(right)
    single = question.type == "single"
    wrong_fraction = -100.0 / wrong_count if wrong_count and not single else 0.0
    choices = []
    for index, (text, feedback) in enumerate(zip(question.options, option_feedback(question), strict=True)):
        is_right = index in right
        fraction = 100.0 / len(right) if is_right else wrong_fraction
        said = feedback or ("This option is right." if is_right else "This option is wrong.")
        choices.append(Choice(render.inline(text), fraction, render.block(said)))
    return QuizQuestion(
        question.id, "multichoice", single, render.block(question.stem), general, tuple(choices), False, tags
    )


def fraction_text(fraction: float) -> str:
    """A fraction as Moodle writes it: at most five decimals, no trailing zeros ("33.33333", "-50")."""
    text = f"{fraction:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
