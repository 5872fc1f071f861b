"""A mock exam on paper: Markdown or JSON for printing, a YAML answer sheet, and reading it back.

Instructors print an exam for a class and grade the sheets later with ``lpic3 exam grade``; the
sheet carries the seed and a fingerprint, so it is always graded against the paper it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import ContentError, Problem, Severity
from trainer.curriculum.questions import LETTERS, choose_count
from trainer.curriculum.quoting import excerpt
from trainer.curriculum.yamlfile import LineMap, load_yaml
from trainer.study.exam import ExamPaper, draw_exam
from trainer.study.explain import explanation_for
from trainer.study.grading import Response

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
MAX_SEED = 10**18  # a seed is printed on the paper: a number, not a wall of digits


def letters(indices: tuple[int, ...]) -> str:
    return ", ".join(LETTERS[i] for i in indices)


def to_markdown(paper: ExamPaper, with_key: bool, title: str) -> str:
    lines = [
        f"# {title}: mock exam {paper.seed}",
        "",
        f"{len(paper.items)} questions, {paper.minutes} minutes. Single-answer questions have one right "
        "option; the others say how many to choose; fill-in questions want the exact command, option, "
        "file or path.",
        "",
    ]
    for number, item in enumerate(paper.items, 1):
        q = item.question
        lines += [f"## Question {number}", "", q.stem.strip(), ""]
        if q.type == "fill":
            lines += ["Answer: ______________________", ""]
        else:
            lines += [f"{LETTERS[pos]}. {q.options[index].strip()}" for pos, index in enumerate(item.order)] + [""]
    if with_key:
        lines += ["## Answer key", ""]
        for number, item in enumerate(paper.items, 1):
            q = item.question
            answer = " | ".join(q.accept) if q.type == "fill" else letters(item.displayed_answer())
            lines.append(f"{number}. {answer}  ({q.objective}, {q.id})")
        lines.append("")
    return "\n".join(lines)


def to_json(paper: ExamPaper, with_key: bool) -> dict[str, object]:
    items = []
    for number, item in enumerate(paper.items, 1):
        q = item.question
        entry: dict[str, object] = {
            "number": number,
            "id": q.id,
            "objective": q.objective,
            "type": q.type,
            "stem": q.stem.strip(),
        }
        if q.type != "fill":
            entry["options"] = {LETTERS[pos]: q.options[i].strip() for pos, i in enumerate(item.order)}
        if with_key:
            entry["answer"] = list(q.accept) if q.type == "fill" else [LETTERS[i] for i in item.displayed_answer()]
            entry["explanation"] = explanation_for(item)
        items.append(entry)
    return {"seed": paper.seed, "fingerprint": paper.fingerprint, "minutes": paper.minutes, "questions": items}


def answer_sheet(paper: ExamPaper) -> str:
    lines = [
        f"# lpic3 answer sheet for mock exam {paper.seed}. Write each answer after its number:",
        "# a letter (B), a list for 'Choose two/three' questions ([A, D]), or the typed text for",
        '# fill-in questions (quote it: "qemu-img info"). Leave a line empty to skip it.',
        f"seed: {paper.seed}",
        f"fingerprint: {paper.fingerprint}",
        "answers:",
    ]
    for number, item in enumerate(paper.items, 1):
        q = item.question
        kind = (
            "fill in"
            if q.type == "fill"
            else (
                f"choose {_NUMBER_WORDS.get(choose_count(q.stem) or 0, 'several')}"
                if q.type == "multi"
                else "one letter"
            )
        )
        lines.append(f"  {number}:    # {kind}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Sheet:
    paper: ExamPaper
    responses: list[Response | None]


def read_sheet(path: Path, cur: Curriculum) -> Sheet:
    """The paper the sheet belongs to and its answers as file-order responses; ContentError otherwise.

    Sheets come from students: aliases are refused outright (a "billion laughs" sheet is one line,
    not gigabytes) and messages quote at most a few dozen characters of what was written.
    """
    data = load_sheet(path)
    paper = draw_exam(cur, data["seed"])
    if data.get("fingerprint") not in (None, paper.fingerprint):
        raise _fail(
            path,
            data.line_of("fingerprint"),
            "this sheet belongs to a different version of the curriculum "
            "(fingerprint differs): print the exam again and use its sheet",
        )
    return Sheet(paper, sheet_responses(path, data, paper))


def load_sheet(path: Path) -> LineMap:
    """A sheet's YAML with a valid ``seed`` and an ``answers`` key, not yet read against a paper
    (a class exam finds the paper in its manifest instead of drawing it again)."""
    data = load_yaml(path, aliases=False)
    if not isinstance(data, LineMap) or not {"seed", "answers"} <= set(data):
        raise _fail(
            path, 1, "not an lpic3 answer sheet (needs 'seed' and 'answers'; make one with `lpic3 exam new --sheet`)"
        )
    seed = data["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool) or abs(seed) >= MAX_SEED:
        raise _fail(path, data.line_of("seed"), "'seed' must be the exam's number")
    return data


def sheet_responses(path: Path, data: LineMap, paper: ExamPaper) -> list[Response | None]:
    """The answers of a sheet loaded by ``load_sheet``, one per paper item (None if blank), as
    file-order option indices or typed text; ContentError at the line of an answer that is not one."""
    answers = data["answers"]
    if answers is None:
        answers = LineMap()
        answers.line, answers.key_lines = data.line_of("answers"), {}
    if not isinstance(answers, LineMap):
        raise _fail(path, data.line_of("answers"), "'answers' must map question numbers to answers")
    responses: list[Response | None] = [None] * len(paper.items)
    for number, value in answers.items():
        line = answers.line_of(number)
        if not isinstance(number, int) or not 1 <= number <= len(paper.items):
            raise _fail(path, line, f"{excerpt(number)} is not a question number (1-{len(paper.items)})")
        item = paper.items[number - 1]
        if value is None or value == "":
            continue
        if item.question.type == "fill":
            if isinstance(value, bool) or not isinstance(value, str | int | float) or _huge(value):
                raise _fail(path, line, f"question {number} wants typed text (quote it)")
            responses[number - 1] = str(value)
            continue
        if not isinstance(value, str | list):
            raise _fail(path, line, f"question {number} wants letters, not {excerpt(value)}")
        picked = value if isinstance(value, list) else value.replace(",", " ").split()
        displayed = []
        for letter in picked:
            text = letter.strip().upper() if isinstance(letter, str) else ""
            if len(text) != 1 or text not in LETTERS[: len(item.order)]:
                raise _fail(
                    path,
                    line,
                    f"question {number}: {excerpt(letter)} is not one of {letters(tuple(range(len(item.order))))}",
                )
            displayed.append(LETTERS.index(text))
        responses[number - 1] = item.to_file_indices(tuple(displayed))
    return responses


def _fail(path: Path, line: int, message: str) -> ContentError:
    return ContentError(Problem(path, line, Severity.ERROR, message))


def _huge(value: str | int | float) -> bool:
    """A number too long to be a typed answer (and too long for ``str`` past 4,300 digits)."""
    return isinstance(value, int) and value.bit_length() > 200
