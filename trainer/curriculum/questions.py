"""Loading a question bank: ``content/<objective>/questions.yaml``, a list of questions."""

from __future__ import annotations

import re
from pathlib import Path

from trainer.curriculum.fields import Fields
from trainer.curriculum.identity import ID_PATTERN, item_objective, resolve_terms
from trainer.curriculum.model import FillMatch, Location, Objective, Question
from trainer.curriculum.problems import Problem, Severity
from trainer.curriculum.quoting import excerpt
from trainer.curriculum.references import bare_references, markers
from trainer.curriculum.yamlfile import LineList, LineMap, load_yaml

_COMMON = ("id", "type", "objective", "terms", "difficulty", "stem", "explanation")
_CHOOSE = re.compile(r"\bchoose\s+(two|three|four|five|2|3|4|5)\b", re.IGNORECASE)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_CATCH_ALL = re.compile(r"\b(all|none) of the above\b", re.IGNORECASE)
LETTERS = "ABCDEFGH"  # an option's letter by position; markers ({A}..{H}, references.py) use the same


def choose_count(stem: str) -> int | None:
    """How many answers a multi-answer stem asks for ("Choose two." -> 2), or None if it does not say."""
    found = _CHOOSE.search(stem)
    return _NUMBERS[found.group(1).lower()] if found else None


def load_questions(
    path: Path, folder_objective: str, objectives: dict[str, Objective], problems: list[Problem]
) -> list[Question]:
    """Every valid question in ``path``; each invalid one is reported at its line and left out."""
    data = load_yaml(path)
    if data is None:
        problems.append(Problem(path, 1, Severity.WARNING, "question file is empty", folder_objective))
        return []
    if not isinstance(data, LineList):
        problems.append(
            Problem(path, 1, Severity.ERROR, "a question file must be a YAML list of questions", folder_objective)
        )
        return []
    questions = []
    for index, item in enumerate(data):
        if not isinstance(item, LineMap):
            problems.append(
                Problem(
                    path,
                    data.line_of(index),
                    Severity.ERROR,
                    f"question {index + 1} must be a mapping",
                    folder_objective,
                )
            )
            continue
        question = _question(item, path, folder_objective, objectives, problems)
        if question is not None:
            questions.append(question)
    return questions


def _question(
    item: LineMap, path: Path, folder: str, objectives: dict[str, Objective], problems: list[Problem]
) -> Question | None:
    qid = item.get("id")
    f = Fields(item, path, f"question {qid if isinstance(qid, str) else '#' + str(item.line)}", problems, folder)
    qtype = item.get("type")
    if qtype in ("single", "multi"):
        f.check_keys((*_COMMON, "options", "answer"))
    elif qtype == "fill":
        f.check_keys((*_COMMON, "accept"), ("match",))
    else:
        f.check_keys(_COMMON, ("options", "answer", "accept", "match"))
        if "type" in item:
            f.problem("type", f"type must be single, multi or fill, not {excerpt(qtype)}")
    qid = f.text("id")
    if qid is not None and not ID_PATTERN.match(qid):
        f.problem("id", f"id {excerpt(qid)} may hold only lower-case letters, digits, '.', '-' and '_'")
    objective = item_objective(f, folder, objectives)
    terms = resolve_terms(f, objective)
    difficulty = f.number("difficulty", 1, 3)
    stem, explanation = f.text("stem"), f.text("explanation")
    options: tuple[str, ...] = ()
    answer: tuple[int, ...] = ()
    accept: tuple[str, ...] = ()
    match = FillMatch()
    if qtype in ("single", "multi"):
        options = _options(f)
        answer = _answer(f, qtype, options, stem)
    elif qtype == "fill":
        accept = f.strings("accept", allow_empty=False) or ()
        if accept and len({a.strip() for a in accept}) != len(accept):
            f.problem("accept", "'accept' lists the same answer twice", Severity.WARNING)
        match = _match(f)
    if explanation is not None:
        _references(f, explanation, qtype, options)
    if not (f.ok and qid and objective and difficulty and stem and explanation and isinstance(qtype, str)):
        return None  # every missing or wrong field has been reported
    return Question(
        qid,
        qtype,
        objective.id,
        terms,
        difficulty,
        stem,
        explanation,
        Location(path, item.line),
        options,
        answer,
        accept,
        match,
    )


def _options(f: Fields) -> tuple[str, ...]:
    options = f.strings("options", allow_empty=False)
    if options is None:
        return ()
    if not 2 <= len(options) <= len(LETTERS):
        f.problem("options", f"a question needs 2 to {len(LETTERS)} options, not {len(options)}")
    elif len(options) not in (4, 5):
        f.problem("options", f"{len(options)} options: the exam uses 4 or 5", Severity.WARNING)
    seen: set[str] = set()
    for option in options:
        key = " ".join(option.split())  # exact: -a and -A are different options
        if key in seen:
            f.problem("options", f"option {excerpt(option.strip())} appears twice")
        seen.add(key)
        if _CATCH_ALL.search(option):
            f.problem("options", f"avoid catch-all options like {excerpt(option.strip())}", Severity.WARNING)
    return options


def _answer(f: Fields, qtype: str, options: tuple[str, ...], stem: str | None) -> tuple[int, ...]:
    raw = f.data.get("answer")
    if raw is None:
        return ()
    letters = [raw] if qtype == "single" else raw
    if qtype == "single" and not isinstance(raw, str):
        f.problem("answer", f"a single-answer 'answer' is one letter (A is the first option), not {excerpt(raw)}")
        return ()
    if qtype == "multi" and not isinstance(raw, list):
        f.problem("answer", "a multi-answer 'answer' is a list of letters, e.g. [A, C]")
        return ()
    indices: list[int] = []
    last = LETTERS[max(len(options), 1) - 1]
    for letter in letters:
        if not isinstance(letter, str) or len(letter.strip()) != 1 or letter.strip().upper() not in LETTERS:
            f.problem("answer", f"answer {excerpt(letter)} is not a letter A-{last}")
            continue
        index = LETTERS.index(letter.strip().upper())
        if options and index >= len(options):
            f.problem(
                "answer",
                f"answer {letter.strip().upper()} is out of range: there are {len(options)} options (A-{last})",
            )
        elif index in indices:
            f.problem("answer", f"answer {letter.strip().upper()} is listed twice")
        else:
            indices.append(index)
    if qtype == "multi" and stem is not None:
        wanted = choose_count(stem)
        if wanted is None:
            f.problem("stem", "a multi-answer stem must say how many to choose ('Choose two.')")
        elif f.ok and wanted != len(indices):
            f.problem("answer", f"the stem says choose {wanted} but 'answer' lists {len(indices)}")
        if len(letters) < 2:
            f.problem("answer", "a multi-answer question needs at least two correct answers")
    return tuple(sorted(indices))


def _references(f: Fields, explanation: str, qtype: object, options: tuple[str, ...]) -> None:
    """An explanation names options only by markers (the options are shuffled), and only options that exist."""
    # A block scalar (`explanation: |`) starts on the line after its key; a one-line value on it.
    first = f.data.line_of("explanation") + ("\n" in explanation)
    for ref in bare_references(explanation):
        f.problem(
            "explanation",
            f"explanation names an option without a marker ({ref.text!r}): options are shuffled, so write "
            "{A}..{E} for the option at that place in 'options' (see docs/content-format.md)",
            line=first + ref.line,
        )
    for ref in markers(explanation):
        if qtype == "fill":
            problem = "a fill-in question has no options"
        elif options and LETTERS.index(ref.text) >= len(options):
            problem = f"there are {len(options)} options (A-{LETTERS[len(options) - 1]})"
        else:
            continue
        f.problem(
            "explanation", f"{{{ref.text}}} names an option that does not exist: {problem}", line=first + ref.line
        )


def _match(f: Fields) -> FillMatch:
    data = f.get("match", dict)
    if data is None:
        return FillMatch()
    m = Fields(data, f.path, f.what + " match", f.problems, f.objective)
    m.check_keys((), ("ignore_case", "command", "unordered_options", "equivalent"))
    groups: list[tuple[str, ...]] = []
    raw = m.get("equivalent", list, [])
    for index, group in enumerate(raw or []):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(s, str) and s for s in group):
            line = raw.line_of(index) if isinstance(raw, LineList) else None
            m.problem("equivalent", "each 'equivalent' group is a list of two or more spellings", line=line)
            continue
        if all(m.plain("equivalent", s, "an 'equivalent' spelling", raw.line_of(index)) for s in group):
            groups.append(tuple(group))
    result = FillMatch(m.flag("ignore_case"), m.flag("command"), m.flag("unordered_options"), tuple(groups))
    if not m.ok:
        f.ok = False
    return result
