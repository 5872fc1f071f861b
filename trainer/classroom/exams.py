"""Class exams: one paper per student, a manifest that records them, and grading the class's sheets.

``new_class_exam`` draws each student's paper like ``lpic3 exam new`` (one question per weight point)
with a seed of its own, derived from the class seed and the student's name, and writes to a new
folder: per student the paper (Markdown, and HTML on request) and a YAML answer sheet in the format
``lpic3 exam grade`` reads, plus the student's name; and the manifest ``class-exam.json``, which
records each student's seed, question ids and option orders. Grading rebuilds every paper from the
manifest, never by drawing it again, so a class is graded against exactly the papers it was given
(as long as the curriculum still has their questions).

``grade_class`` reads every sheet in the folder with the same reader and scorer as ``lpic3 exam
grade`` (hostile sheets included: bounded size, no aliases, answers checked against the paper) and
refuses, in one line naming the file and line, a sheet of nobody in the class, a second sheet for
one student, or a sheet whose paper number or fingerprint is not its student's. A sheet with no
answer at all counts as absent, like a student whose sheet is missing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from trainer.classroom.itemanalysis import Answer, ClassStats, ItemStats, Score, analyse, class_stats, thirds
from trainer.curriculum.model import Curriculum, Question
from trainer.curriculum.problems import ContentError, Problem, Severity
from trainer.curriculum.quoting import excerpt
from trainer.curriculum.yamlfile import read_text
from trainer.errors import Lpic3Error, UsageError
from trainer.output import write_folder
from trainer.study.exam import ExamPaper, draw_exam, rebuild_paper
from trainer.study.grading import Response
from trainer.study.paper import answer_sheet, load_sheet, sheet_responses, to_markdown
from trainer.study.paper_html import render_paper_html
from trainer.study.scoring import ExamResult, score_exam

MANIFEST = "class-exam.json"
FORMAT = 1
SEEDS = 10**12  # a student's seed is printed on the paper ("mock exam N"): twelve digits at most
_NAME = re.compile(r"\w[\w.-]{0,63}")  # letters, digits, _ . - ; one path component, never hidden
NOT_FILLED, NO_SHEET = "sheet not filled in", "no sheet"


def student_seed(class_seed: int, student: str) -> int:
    """The seed of a student's paper: the same class seed and name always give the same paper,
    and two names practically never share one (1 in 10**12 per pair)."""
    digest = hashlib.sha256(f"lpic3 class exam {class_seed} {student}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEEDS


def check_names(names: list[tuple[str, Path, int]]) -> list[str]:
    """The names, checked: each usable as a file name and none twice (case ignored, as some file
    systems do); ContentError at ``file:line`` of the first that is not. Entries are (name, file, line)."""
    seen: dict[str, int] = {}
    for name, path, line in names:
        if not _NAME.fullmatch(name):
            raise _problem(
                path,
                line,
                f"{excerpt(name)} cannot name a student's files: use letters, digits, '_', '.' and '-' "
                "(at most 64, starting with a letter or digit)",
            )
        if name.casefold() in seen:
            raise _problem(
                path, line, f"student {excerpt(name)} is listed twice (first at line {seen[name.casefold()]})"
            )
        seen[name.casefold()] = line
    return [name for name, _, _ in names]


def read_students(path: Path) -> list[str]:
    """Student names from a file: one per line; blank lines and ``#`` comments are skipped."""
    entries = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if name:
            entries.append((name, path, number))
    if not entries:
        raise _problem(path, 0, "names no student (one name per line)")
    return check_names(entries)


@dataclass(frozen=True, slots=True)
class StudentPaper:
    student: str
    seed: int
    paper: ExamPaper

    @property
    def files(self) -> dict[str, str]:
        """What the student's files are called in the class folder: paper, html and sheet."""
        return {kind: f"{self.student}.{name}" for kind, name in _FILES.items()}


_FILES = {"paper": "paper.md", "html": "paper.html", "sheet": "sheet.yaml"}


@dataclass(frozen=True, slots=True)
class ClassExam:
    folder: Path
    class_seed: int
    exam: str
    papers: dict[str, StudentPaper]  # by student, in the class list's order


def new_class_exam(cur: Curriculum, students: list[str], folder: Path, class_seed: int, html: bool) -> ClassExam:
    """Draw every student's paper and write the class folder (all of it, or nothing)."""
    title = f"LPIC-3 {cur.exam.code}"
    papers = {}
    files: dict[str, str] = {}
    for student in students:
        seed = student_seed(class_seed, student)
        entry = StudentPaper(student, seed, draw_exam(cur, seed))
        papers[student] = entry
        names = entry.files
        files[names["paper"]] = to_markdown(entry.paper, False, f"{title} for {student}")
        if html:
            files[names["html"]] = render_paper_html(entry.paper, title=title, candidate=student)
        files[names["sheet"]] = _sheet(entry)
    exam = ClassExam(folder, class_seed, cur.exam.code, papers)
    files[MANIFEST] = _manifest_text(exam, html)
    write_folder(folder, files, "a class exam")
    return exam


def _sheet(entry: StudentPaper) -> str:
    """``lpic3 exam new``'s answer sheet with the student's name (quoted: ``no`` or ``123`` stay names)."""
    return (
        f"# {entry.student}'s answer sheet for the class exam; keep the student line as it is.\n"
        f"student: {json.dumps(entry.student)}\n" + answer_sheet(entry.paper)
    )


def _manifest_text(exam: ClassExam, html: bool) -> str:
    """The manifest as JSON, one line per student (a class of 30 stays a file one can read)."""
    head = {"lpic3": "class exam", "format": FORMAT, "exam": exam.exam, "class_seed": exam.class_seed}
    students = [
        {
            "name": entry.student,
            "seed": entry.seed,
            "fingerprint": entry.paper.fingerprint,
            "minutes": entry.paper.minutes,
            "files": {kind: name for kind, name in entry.files.items() if html or kind != "html"},
            "questions": [[item.question.id, list(item.order)] for item in entry.paper.items],
        }
        for entry in exam.papers.values()
    ]
    fields = [f" {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    rows = ",\n".join(f"  {json.dumps(student, ensure_ascii=False)}" for student in students)
    return "{\n" + "\n".join(fields) + '\n "students": [\n' + rows + "\n ]\n}\n"


def manifest_of(folder: Path) -> Path:
    """The manifest of the class exam in ``folder``; UsageError if the folder holds none."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder (a class exam's folder, from `lpic3 class exam new --out`)")
    path = folder / MANIFEST
    if not path.exists():
        raise UsageError(f"{folder} holds no class exam: {MANIFEST} is missing (made by `lpic3 class exam new`)")
    return path


def load_class_exam(folder: Path, cur: Curriculum) -> ClassExam:
    """The class exam in ``folder``, its papers rebuilt from the manifest; one-line errors otherwise."""
    path = manifest_of(folder)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise _problem(path, exc.lineno, f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise _problem(path, 0, "nested too deeply to be a class exam manifest") from None
    try:
        if data.get("lpic3") != "class exam" or data.get("format") != FORMAT:
            raise ValueError("not an lpic3 class exam manifest (or one from another version)")
        papers = {}
        by_id = {q.id: q for q in cur.questions}
        for student in data["students"]:
            name, seed, minutes, entries = student["name"], student["seed"], student["minutes"], student["questions"]
            if not (isinstance(name, str) and isinstance(seed, int) and isinstance(minutes, int)):
                raise ValueError("a student entry needs a name, a seed, minutes and questions")
            papers[name] = StudentPaper(name, seed, _rebuild(cur, by_id, name, seed, minutes, entries))
            if papers[name].paper.fingerprint != student["fingerprint"]:
                raise ValueError(f"{name}'s questions do not match the recorded fingerprint (the file was edited)")
        return ClassExam(folder, int(data["class_seed"]), str(data["exam"]), papers)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "entries missing or of the wrong kind"
        raise _problem(path, 0, reason) from None


def _rebuild(
    cur: Curriculum, by_id: dict[str, Question], student: str, seed: int, minutes: int, entries: object
) -> ExamPaper:
    """A student's paper from the manifest's [question id, option order] pairs, checked against the curriculum."""
    if not isinstance(entries, list):
        raise ValueError(f"{student}'s questions must be a list")
    pairs = []
    for entry in entries:
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], list):
            raise ValueError(f"{student}'s questions must be [id, option order] pairs")
        qid, order = entry
        question = by_id.get(qid)
        if question is None:
            raise ValueError(
                f"{student}'s paper has question {excerpt(qid)}, which this curriculum does not have "
                "(grade with the curriculum the exam was made from: --path)"
            )
        if sorted(order) != list(range(len(question.options))):
            raise ValueError(f"question {qid} has changed its options since {student}'s paper was made")
        pairs.append((qid, tuple(order)))
    return rebuild_paper(cur, seed, minutes, pairs)


@dataclass(frozen=True, slots=True)
class StudentResult:
    """A student's grade, or why there is none (``absent``: no sheet, or a sheet left empty)."""

    student: str
    seed: int
    sheet: Path | None
    result: ExamResult | None = None
    absent: str | None = None


@dataclass(frozen=True, slots=True)
class ItemRow:
    question: Question
    stats: ItemStats


@dataclass(slots=True)
class ClassResult:
    exam: ClassExam
    students: list[StudentResult] = field(default_factory=list)
    items: list[ItemRow] = field(default_factory=list)  # the questions graded papers had, by objective and id
    stats: ClassStats = field(default_factory=lambda: class_stats({}))

    @property
    def graded(self) -> list[StudentResult]:
        return [s for s in self.students if s.result is not None]


def grade_class(cur: Curriculum, folder: Path) -> ClassResult:
    """Grade every sheet in ``folder`` against its student's recorded paper, then analyse each question."""
    exam = load_class_exam(folder, cur)
    filled = _read_sheets(exam)
    outcome = ClassResult(exam)
    answers: dict[str, list[Answer]] = {}
    for student, entry in exam.papers.items():
        if student not in filled:
            outcome.students.append(StudentResult(student, entry.seed, None, absent=NO_SHEET))
            continue
        path, responses = filled[student]
        if all(r is None for r in responses):
            outcome.students.append(StudentResult(student, entry.seed, path, absent=NOT_FILLED))
            continue
        result = score_exam(cur, entry.paper, responses)
        outcome.students.append(StudentResult(student, entry.seed, path, result))
        for item, right, response in zip(entry.paper.items, result.correct, responses, strict=True):
            answers.setdefault(item.question.id, []).append(Answer(student, right, response))
    scores = {s.student: Score(s.result.overall.correct, s.result.overall.total) for s in outcome.students if s.result}
    outcome.stats = class_stats(scores)
    upper, lower = thirds(scores)
    by_id = {q.id: q for q in cur.questions}
    for qid in sorted(answers, key=lambda q: (by_id[q].objective, q)):
        question = by_id[qid]
        options = 0 if question.type == "fill" else len(question.options)
        outcome.items.append(ItemRow(question, analyse(answers[qid], options, scores, upper, lower)))
    return outcome


def _read_sheets(exam: ClassExam) -> dict[str, tuple[Path, list[Response | None]]]:
    """Every YAML file in the folder is a sheet: each one's student and answers, read against the
    student's paper; ContentError at the line of the first sheet that cannot be graded."""
    found: dict[str, tuple[Path, list[Response | None]]] = {}
    try:
        candidates = sorted(p for p in exam.folder.iterdir() if p.suffix in (".yaml", ".yml") and p.name[0] != ".")
    except OSError as exc:
        raise Lpic3Error(f"cannot read {exam.folder}: {exc.strerror or exc}") from None
    for path in candidates:
        data = load_sheet(path)
        student = data.get("student")
        if student is None:
            raise _problem(path, 1, "names no student: not a class exam sheet (a sheet from `lpic3 exam new`?)")
        line = data.line_of("student")
        if not isinstance(student, str) or student not in exam.papers:
            raise _problem(path, line, f"{excerpt(student)} is not a student of this class (see {MANIFEST})")
        if student in found:
            raise _problem(
                path, line, f"a second sheet for {student} (the first is {found[student][0].name}): keep only one"
            )
        entry = exam.papers[student]
        if data["seed"] != entry.seed:
            raise _problem(
                path,
                data.line_of("seed"),
                f"paper {data['seed']} is not {student}'s paper ({entry.seed}): "
                "the sheet was edited or belongs to another paper",
            )
        fingerprint = entry.paper.fingerprint
        if data.get("fingerprint", fingerprint) != fingerprint:
            raise _problem(
                path,
                data.line_of("fingerprint"),
                f"the fingerprint is not that of {student}'s paper ({fingerprint}): the sheet was edited",
            )
        found[student] = (path, sheet_responses(path, data, entry.paper))
    return found


def _problem(path: Path, line: int, message: str) -> ContentError:
    return ContentError(Problem(path, line, Severity.ERROR, message))
