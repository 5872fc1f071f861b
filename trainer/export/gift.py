"""The bank as GIFT, Moodle's plain-text question format.

GIFT gives ``~ = # { } :`` a meaning, so each is written with a backslash before it, and a
backslash itself as two; a line break is written ``\\n``, because a blank line ends a question.
Texts are HTML (``[html]``), as in the XML export. GIFT cannot say that a short answer is case
sensitive: Moodle imports it as case insensitive.
"""

from __future__ import annotations

from trainer.export.quiz import Category, QuizQuestion, fraction_text

SPECIAL = "~=#{}:"


def escape(text: str) -> str:
    """``text`` as GIFT reads it back unchanged."""
    text = text.replace("\\", "\\\\")
    for char in SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _question(question: QuizQuestion) -> str:
    lines = [f"::{escape(question.name)}::[html]{escape(question.text)}{{"]
    for choice in question.choices:
        text = escape(choice.text)
        if question.kind == "shortanswer":
            mark = "="
        elif question.single:
            mark = "=" if choice.fraction == 100 else "~"
        else:
            mark = f"~%{fraction_text(choice.fraction)}%"
        feedback = f"#{escape(choice.feedback)}" if choice.feedback else ""
        lines.append(f"\t{mark}{text}{feedback}")
    lines += [f"\t####{escape(question.general_feedback)}", "}"]
    return "\n".join(lines)


def to_gift(entries: list[Category | QuizQuestion]) -> bytes:
    """The GIFT text, UTF-8: a ``$CATEGORY:`` line before each category's questions."""
    blocks = [f"$CATEGORY: {entry.path}" if isinstance(entry, Category) else _question(entry) for entry in entries]
    return ("\n\n".join(blocks) + "\n").encode()
