"""Loading ``content/objectives.yaml``: the exam, its topics, objectives, weights and terms."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from trainer.curriculum.fields import Fields
from trainer.curriculum.model import Exam, Objective, Term, Topic
from trainer.curriculum.problems import ContentError, Problem, Severity
from trainer.curriculum.yamlfile import LineList, LineMap, load_yaml


class ObjectivesFile(NamedTuple):
    """What ``objectives.yaml`` defines, and the line of each objective's weight (a weight the
    question bank cannot fill is reported there)."""

    exam: Exam
    topics: tuple[Topic, ...]
    objectives: dict[str, Objective]
    weight_lines: dict[str, int]


def load_objectives(path: Path) -> ObjectivesFile:
    """Read the objectives file. Everything else is checked against it, so any problem is fatal."""
    problems: list[Problem] = []
    data = load_yaml(path)
    if not isinstance(data, LineMap):
        raise ContentError(Problem(path, 1, Severity.ERROR, "must be a mapping with exam, topics and objectives"))
    top = Fields(data, path, "objectives file", problems)
    top.check_keys(("exam", "topics", "objectives"))
    exam = _exam(data.get("exam"), path, problems)
    topic_titles = _topic_titles(data.get("topics"), path, problems)
    objectives: dict[str, Objective] = {}
    weight_lines: dict[str, int] = {}
    items = data.get("objectives")
    if isinstance(items, LineList):
        for index, item in enumerate(items):
            objective = _objective(item, items.line_of(index), path, problems, topic_titles)
            if objective is None:
                continue
            if objective.id in objectives:
                problems.append(
                    Problem(path, items.line_of(index), Severity.ERROR, f"objective {objective.id} is defined twice")
                )
            objectives[objective.id] = objective
            weight_lines[objective.id] = item.line_of("weight")
    elif "objectives" in data:
        top.problem("objectives", "'objectives' must be a list")
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors or exam is None:
        raise ContentError(errors[0] if errors else Problem(path, 1, Severity.ERROR, "no exam section"))
    topics = tuple(
        Topic(tid, title, tuple(o.id for o in objectives.values() if o.topic == tid))
        for tid, title in topic_titles.items()
    )
    return ObjectivesFile(exam, topics, objectives, weight_lines)


def _exam(data: object, path: Path, problems: list[Problem]) -> Exam | None:
    if not isinstance(data, LineMap):
        return None
    f = Fields(data, path, "exam", problems)
    f.check_keys(("code", "name", "questions", "minutes", "pass_score", "score_range"), ("objectives_version",))
    code, name = f.text("code"), f.text("name")
    questions, minutes = f.number("questions", 1, 1000), f.number("minutes", 1, 1000)
    pass_score = f.number("pass_score", 0, 10000)
    score_range = f.get("score_range", list)
    if score_range is not None and (len(score_range) != 2 or not all(isinstance(x, int) for x in score_range)):
        f.problem("score_range", "'score_range' must be [lowest, highest]")
    if not f.ok:
        return None
    return Exam(code, name, questions, minutes, pass_score, (score_range[0], score_range[1]))  # type: ignore[arg-type]


def _topic_titles(data: object, path: Path, problems: list[Problem]) -> dict[str, str]:
    titles: dict[str, str] = {}
    if isinstance(data, LineList):
        for item in data:
            if isinstance(item, LineMap):
                f = Fields(item, path, "topic", problems)
                f.check_keys(("id", "title"))
                tid, title = f.text("id"), f.text("title")
                if tid and title:
                    titles[tid] = title
    return titles


def _objective(
    item: object, line: int, path: Path, problems: list[Problem], topics: dict[str, str]
) -> Objective | None:
    if not isinstance(item, LineMap):
        problems.append(Problem(path, line, Severity.ERROR, "an objective must be a mapping"))
        return None
    oid = item.get("id")
    f = Fields(item, path, f"objective {oid}", problems)
    f.check_keys(("id", "title", "weight", "description", "knowledge", "terms"))
    oid = f.objective_id("id")
    title, weight, description = f.text("title"), f.number("weight", 1, 100), f.text("description")
    knowledge = f.strings("knowledge")
    terms = _terms(item.get("terms"), path, problems, f)
    topic = oid.split(".")[0] if oid else ""
    if oid and topic not in topics:
        f.problem("id", f"objective {oid} belongs to no topic (topics: {', '.join(topics)})")
    if not f.ok:
        return None
    return Objective(oid, topic, title, weight, description, knowledge, terms)  # type: ignore[arg-type]


def _terms(data: object, path: Path, problems: list[Problem], parent: Fields) -> tuple[Term, ...]:
    if not isinstance(data, LineList):
        if data is not None:
            parent.problem("terms", "'terms' must be a list")
        return ()
    terms: list[Term] = []
    for index, item in enumerate(data):
        if not isinstance(item, LineMap):
            parent.problem("terms", "each term must be a mapping with 'term'", line=data.line_of(index))
            continue
        f = Fields(item, path, "term", problems)
        f.check_keys(("term",), ("aliases", "official"))
        text, aliases, official = f.text("term"), f.strings("aliases"), f.flag("official", True)
        if f.ok and text is not None and aliases is not None:
            terms.append(Term(text, aliases, official))
        else:
            parent.ok = False
    return tuple(terms)
