"""The content model: what the loader builds and the rest of the program reads.

Plain frozen dataclasses, no behaviour beyond small derived values, so that the study engine,
the lab runner and the TUI can share them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trainer.curriculum.problems import Problem

QUESTION_TYPES = ("single", "multi", "fill")


@dataclass(frozen=True, slots=True)
class Location:
    """Where an item was defined, for messages that must name ``file:line``."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Term:
    """An official term of an objective and the other spellings that count as the same term."""

    text: str
    aliases: tuple[str, ...] = ()
    official: bool = True

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.text, *self.aliases)


@dataclass(frozen=True, slots=True)
class Objective:
    id: str
    topic: str
    title: str
    weight: int
    description: str
    knowledge: tuple[str, ...]
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    objectives: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Exam:
    """The exam's shape, from ``objectives.yaml``: used by the mock exam and the score estimate."""

    code: str
    name: str
    questions: int
    minutes: int
    pass_score: int
    score_range: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Lesson:
    objective: str
    title: str
    body: str
    headings: tuple[Heading, ...]
    word_count: int
    source: Location


@dataclass(frozen=True, slots=True)
class FillMatch:
    """How a typed answer is normalised before it is compared with the accepted answers."""

    ignore_case: bool = False
    command: bool = False
    unordered_options: bool = False
    equivalent: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: str
    objective: str
    terms: tuple[str, ...]
    difficulty: int
    stem: str
    explanation: str
    source: Location
    options: tuple[str, ...] = ()
    answer: tuple[int, ...] = ()
    accept: tuple[str, ...] = ()
    match: FillMatch = field(default_factory=FillMatch)


@dataclass(frozen=True, slots=True)
class Param:
    """A value randomised per lab attempt: one of ``choices``, or an integer in ``range``."""

    name: str
    choices: tuple[str, ...] = ()
    range: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    probe: str
    args: dict[str, object]
    hint: str
    source: Location
    wait: float = 0.0  # seconds the check may retry while state settles (a domain booting ...)


@dataclass(frozen=True, slots=True)
class WrongAnswer:
    name: str
    script: str
    fails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another correct way to do the task (another tool, spelling, order): the self-test proves it
    passes every check, so a learner who does the task differently is never judged wrong."""

    name: str
    script: str


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    objective: str
    title: str
    terms: tuple[str, ...]
    difficulty: int
    task: str
    requires: tuple[str, ...]
    params: tuple[Param, ...]
    setup: str
    checks: tuple[Check, ...]
    hints: tuple[str, ...]
    solution: str
    reset: str
    wrong_answers: tuple[WrongAnswer, ...]
    note: str
    source: Location
    alternatives: tuple[Alternative, ...] = ()


@dataclass(slots=True)
class Curriculum:
    """Everything loaded from one content tree, with the problems found while loading it."""

    root: Path
    exam: Exam
    topics: tuple[Topic, ...]
    objectives: dict[str, Objective]
    lessons: dict[str, Lesson] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def questions_for(self, objective: str) -> list[Question]:
        return [q for q in self.questions if q.objective == objective]

    def exercises_for(self, objective: str) -> list[Exercise]:
        return [e for e in self.exercises if e.objective == objective]
