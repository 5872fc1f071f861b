"""Class exams: one paper per student, written whole; graded with the exam grader and an item analysis.

The commands run for real (``python -m trainer class exam ...``) on a small synthetic curriculum
(12 questions per objective, so papers share questions and the item analysis has attempts to
count); the sheets are filled in as students would, with known right and wrong answers, and every
figure of the report is checked against those answers, not against the grader's own output.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.class_exam_fixtures import answer, fill_sheet
from tests.conftest import run_lpic3
from tests.study_fixtures import make_curriculum
from trainer.classroom.exams import (
    MANIFEST,
    ClassExam,
    grade_class,
    load_class_exam,
    new_class_exam,
    read_students,
    student_seed,
)
from trainer.curriculum.model import Curriculum
from trainer.curriculum.problems import ContentError
from trainer.curriculum.yamlfile import MAX_BYTES
from trainer.errors import UsageError
from trainer.study.scoring import scaled_estimate

STUDENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]


@pytest.fixture(scope="module")
def cur(tmp_path_factory: pytest.TempPathFactory) -> Curriculum:
    return make_curriculum(tmp_path_factory.mktemp("synthetic"))


def class_exam(cur: Curriculum, *args: str) -> tuple[int, str, str]:
    done = run_lpic3("class", "exam", *args, "--path", str(cur.root))
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def made(cur: Curriculum, tmp_path_factory: pytest.TempPathFactory) -> ClassExam:
    """A class exam for seven students made by the command (class seed 11); tests copy its folder."""
    root = tmp_path_factory.mktemp("class")
    names = root / "students.txt"
    names.write_text(
        "# group B, winter term\n" + "\n".join(f"{n}  # desk {i}" for i, n in enumerate(STUDENTS)) + "\n\n"
    )
    code, out, err = class_exam(cur, "new", "--students", str(names), "--out", str(root / "exam"), "--seed", "11")
    assert code == 0, err
    assert "7 students" in out
    return load_class_exam(root / "exam", cur)


@pytest.fixture
def folder(made: ClassExam, tmp_path: Path) -> Path:
    copy = tmp_path / "exam"
    shutil.copytree(made.folder, copy)
    return copy


def test_each_student_gets_an_own_paper_sheet_and_recorded_seed(cur: Curriculum, made: ClassExam) -> None:
    manifest = json.loads((made.folder / MANIFEST).read_text())
    assert [s["name"] for s in manifest["students"]] == STUDENTS and manifest["class_seed"] == 11
    assert {s["name"]: s["seed"] for s in manifest["students"]} == {n: student_seed(11, n) for n in STUDENTS}
    assert len({p.paper.fingerprint for p in made.papers.values()}) == len(STUDENTS)
    for name, entry in made.papers.items():
        counts = Counter(item.question.objective for item in entry.paper.items)
        assert counts == {oid: o.weight for oid, o in cur.objectives.items()}  # drawn by the weights
        paper = (made.folder / f"{name}.paper.md").read_text()
        assert f"for {name}: mock exam {entry.seed}" in paper and paper.count("## Question ") == 60
        assert "Answer key" not in paper
        sheet = (made.folder / f"{name}.sheet.yaml").read_text()
        assert f'student: "{name}"' in sheet and f"seed: {entry.seed}" in sheet
        assert f"fingerprint: {entry.paper.fingerprint}" in sheet
    assert sorted(p.name for p in made.folder.iterdir()) == sorted(
        [MANIFEST] + [f"{n}.{kind}" for n in STUDENTS for kind in ("paper.md", "sheet.yaml")]
    )


def test_same_class_seed_same_files_and_html_papers_name_the_student(
    cur: Curriculum, made: ClassExam, tmp_path: Path
) -> None:
    names = tmp_path / "names"
    names.write_text("\n".join(STUDENTS))
    code, _, err = class_exam(
        cur, "new", "--students", str(names), "--out", str(tmp_path / "again"), "--seed", "11", "--html"
    )
    assert code == 0, err
    for name in STUDENTS:
        for kind in ("paper.md", "sheet.yaml"):
            assert (tmp_path / "again" / f"{name}.{kind}").read_bytes() == (made.folder / f"{name}.{kind}").read_bytes()
        html = (tmp_path / "again" / f"{name}.paper.html").read_text()
        assert html.startswith("<!DOCTYPE html>") and name in html and f"mock exam {made.papers[name].seed}" in html


def test_a_class_sheet_is_also_an_exam_grade_sheet(cur: Curriculum, made: ClassExam, folder: Path) -> None:
    entry = made.papers["carol"]
    fill_sheet(folder, entry, [n % 2 == 0 for n in range(60)])
    done = run_lpic3("exam", "grade", str(folder / "carol.sheet.yaml"), "--json", "--path", str(cur.root))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["correct"] == 30


def _fill_class(made: ClassExam, folder: Path) -> dict[str, list[bool | None]]:
    """Known answers: student k gets right the questions n with (n + k) % 7 < 7 - k, leaves every
    ninth one blank from the fourth student on; frank leaves his sheet empty, grace hands in none."""
    rights: dict[str, list[bool | None]] = {}
    for k, name in enumerate(STUDENTS[:5]):
        rights[name] = [None if k >= 3 and n % 9 == 0 else (n + k) % 7 < 7 - k for n in range(60)]
        fill_sheet(folder, made.papers[name], rights[name])
    (folder / "grace.sheet.yaml").unlink()
    return rights


def test_grade_json_scores_students_and_analyses_every_question(cur: Curriculum, made: ClassExam, folder: Path) -> None:
    rights = _fill_class(made, folder)
    report_path = folder.parent / "report.json"
    code, out, err = class_exam(cur, "grade", str(folder), "-o", str(report_path))
    assert code == 0, err
    assert "graded 5 of 7 students" in out and "frank (sheet not filled in)" in out and "grace (no sheet)" in out
    report = json.loads(report_path.read_text())
    students = {s["name"]: s for s in report["students"]}
    for name, marks in rights.items():
        correct = sum(m is True for m in marks)
        assert students[name]["correct"] == correct and students[name]["total"] == 60
        assert students[name]["scaled_estimate"] == scaled_estimate(100 * correct / 60)
        assert students[name]["passed_estimate"] == (students[name]["scaled_estimate"] >= 500)
        by_objective: Counter[str] = Counter()
        for item, mark in zip(made.papers[name].paper.items, marks, strict=True):
            by_objective[item.question.objective] += mark is True
        assert {o: t["correct"] for o, t in students[name]["objectives"].items()} == {
            o: by_objective[o] for o in cur.objectives
        }
    shares = [sum(m is True for m in marks) / 60 for marks in rights.values()]
    assert report["class"]["graded"] == 5 and report["class"]["mean"] == round(sum(shares) / 5, 3)
    assert students["frank"]["absent"] == "sheet not filled in" and "correct" not in students["frank"]
    assert students["grace"]["absent"] == "no sheet" and students["grace"]["sheet"] is None

    # the item analysis, from the answers written above
    expected: dict[str, list[bool | None]] = defaultdict(list)
    for name, marks in rights.items():
        for item, mark in zip(made.papers[name].paper.items, marks, strict=True):
            expected[item.question.id].append(mark)
    items = {i["id"]: i for i in report["items"]}
    assert set(items) == set(expected)
    assert sum(i["attempts"] for i in items.values()) == 5 * 60
    for qid, marks in expected.items():
        item = items[qid]
        assert (item["attempts"], item["right"]) == (len(marks), sum(m is True for m in marks))
        assert item["blank"] == sum(m is None for m in marks)
        assert item["facility"] == round(sum(m is True for m in marks) / len(marks), 3)
        assert sum(r["count"] for r in item["responses"]) == len(marks)
    single = next(i for i in items.values() if i["type"] == "single" and i["attempts"] >= 3)
    wrong_picks = sum(o["chosen"] for o in single["options"] if not o["right"])
    assert wrong_picks == single["attempts"] - single["right"] - single["blank"]  # each wrong answer's distractor
    assert set(report["legend"]) >= {"facility", "discrimination", "discrimination_index", "options", "responses"}


def test_grade_csv_opens_as_a_table_and_html_escapes_typed_answers(
    cur: Curriculum, made: ClassExam, folder: Path
) -> None:
    _fill_class(made, folder)
    for sheet in folder.glob("*.sheet.yaml"):  # every wrong typed answer is one a spreadsheet would run
        sheet.write_text(sheet.read_text().replace('"no-such-command --wrong"', '"=HYPERLINK(1)"'))
    erin = folder / "erin.sheet.yaml"
    erin.write_text(erin.read_text().replace('"=HYPERLINK(1)"', '"<script>alert(1)</script>"', 1))
    code, out, err = class_exam(cur, "grade", str(folder), "--format", "csv")
    assert code == 0, err
    assert err == "graded 5 of 7 students, 3 passed (estimate); absent: frank (sheet not filled in), grace (no sheet)\n"
    rows = list(csv.reader(out.splitlines()))
    header = rows.index(["Students"]) + 1
    assert rows[header][:4] == ["student", "absent", "seed", "sheet"]
    table = {row[0]: row for row in rows[header + 1 : header + 1 + len(STUDENTS)]}
    assert set(table) == set(STUDENTS) and table["grace"][1] == "no sheet"
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert any("'=HYPERLINK(1)" in cell for row in rows for cell in row)
    code, page, err = class_exam(cur, "grade", str(folder), "--format", "html")
    assert code == 0, err
    assert page.startswith("<!DOCTYPE html>") and "<script>" not in page and "&lt;script&gt;" in page
    assert "<link" not in page and "src=" not in page  # self-contained


def test_wrong_answer_picks_land_on_their_options(cur: Curriculum, made: ClassExam, folder: Path) -> None:
    """Every attempt at a single-answer question written wrong with ``answer(item, False)`` picks the
    first wrong option shown on that student's paper; the report counts it on that bank option."""
    for name in STUDENTS:
        fill_sheet(folder, made.papers[name], [False] * 60)
    result = grade_class(cur, folder)
    picks: dict[str, Counter[int]] = defaultdict(Counter)
    for entry in made.papers.values():
        for item in entry.paper.items:
            if item.question.type == "single":
                shown = next(i for i in range(len(item.order)) if i not in item.displayed_answer())
                picks[item.question.id][item.order[shown]] += 1
                assert answer(item, False) == f"[{'ABCDE'[shown]}]"
    rows = {row.question.id: row.stats for row in result.items}
    for qid, counts in picks.items():
        assert rows[qid].options == tuple(counts[i] for i in range(len(rows[qid].options)))
        assert rows[qid].facility == 0.0


BAD_SHEETS = {
    "stranger": (
        lambda t: t.replace('student: "bob"', 'student: "mallory"'),
        "'mallory' is not a student of this class",
    ),
    "wrong type": (lambda t: t.replace('student: "bob"', "student: [bob]"), "is not a student of this class"),
    "other paper": (None, "is not bob's paper"),
    "fingerprint": (lambda t: t.replace("fingerprint: ", "fingerprint: 00"), "the fingerprint is not that of bob's"),
    "deep": (lambda t: t.replace("  1: ", "  1: " + "[" * 5000 + "]" * 5000 + "  # ", 1), "nesting depth"),
    "alias": (lambda t: t.replace("answers:", "x: &a [A]\nanswers:").replace("  1: ", "  1: *a  # ", 1), "alias"),
    "answer": (lambda t: t.replace("  1: ", "  1: {A: B}  # ", 1), "question 1"),
    "huge": (lambda t: t + "#" * MAX_BYTES, "larger than 2 MiB"),
}


@pytest.mark.parametrize("case", sorted(BAD_SHEETS))
def test_a_bad_sheet_is_one_line_naming_it(cur: Curriculum, made: ClassExam, folder: Path, case: str) -> None:
    edit, message = BAD_SHEETS[case]
    sheet = folder / "bob.sheet.yaml"
    text = sheet.read_text()
    if edit is None:  # the paper number of carol's paper on bob's sheet
        text = text.replace(f"seed: {made.papers['bob'].seed}", f"seed: {made.papers['carol'].seed}")
    else:
        text = edit(text)
    sheet.write_text(text)
    with pytest.raises(ContentError) as raised:
        grade_class(cur, folder)
    assert message in raised.value.message and str(sheet) in raised.value.message
    assert "\n" not in raised.value.message


def test_two_sheets_for_one_student(cur: Curriculum, made: ClassExam, folder: Path) -> None:
    fill_sheet(folder, made.papers["bob"], [True] * 60)
    shutil.copy(folder / "bob.sheet.yaml", folder / "bob-copy.yml")
    with pytest.raises(
        ContentError, match=r"bob.sheet.yaml:2: error: a second sheet for bob \(the first is bob-copy.yml\)"
    ):
        grade_class(cur, folder)


def test_bad_input_on_the_command_line_is_one_line_and_writes_nothing(
    cur: Curriculum, made: ClassExam, folder: Path
) -> None:
    report = folder.parent / "report.html"
    stranger = folder / "bob.sheet.yaml"
    stranger.write_text(stranger.read_text().replace('student: "bob"', 'student: "mallory"'))
    code, _, err = class_exam(cur, "grade", str(folder), "-o", str(report))
    assert code == 1 and err.count("\n") == 1 and f"{stranger}:2: error: 'mallory'" in err
    assert not report.exists() and not [p for p in folder.parent.iterdir() if p.name.startswith(".")]
    (folder / MANIFEST).unlink()
    code, _, err = class_exam(cur, "grade", str(folder))
    assert code == 2 and "holds no class exam: class-exam.json is missing" in err


def test_manifest_rebuilds_papers_without_drawing(cur: Curriculum, made: ClassExam, folder: Path) -> None:
    """Grading reads the papers from the manifest: a paper recorded with other questions than its
    seed would draw is graded as recorded; a recorded question the curriculum lacks is named."""
    manifest = folder / MANIFEST
    data = json.loads(manifest.read_text())
    data["students"][0]["questions"] = data["students"][1]["questions"]
    data["students"][0]["fingerprint"] = data["students"][1]["fingerprint"]
    manifest.write_text(json.dumps(data))
    assert load_class_exam(folder, cur).papers["alice"].paper.items == made.papers["bob"].paper.items
    data["students"][0]["questions"][0][0] = "999.9-gone"
    manifest.write_text(json.dumps(data))
    with pytest.raises(ContentError, match=r"alice's paper has question '999\.9-gone', which this curriculum does not"):
        load_class_exam(folder, cur)
    manifest.write_text("{not json")
    with pytest.raises(ContentError, match="not valid JSON"):
        load_class_exam(folder, cur)
    manifest.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ContentError, match="nested too deeply"):
        load_class_exam(folder, cur)
    manifest.write_text('{"lpic3": "class exam", "format": 1, "students": [{"name": "alice"}]}')
    with pytest.raises(ContentError, match="entries missing or of the wrong kind"):
        load_class_exam(folder, cur)


STUDENT_FILES = {
    "duplicate": ("alice\nbob\n# a comment\nAlice\n", ":4: error: student 'Alice' is listed twice (first at line 1)"),
    "unsafe": ("alice\n../etc/passwd\n", ":2: error: '../etc/passwd' cannot name a student's files"),
    "hidden": ("alice\n.bashrc\n", ":2: error: '.bashrc' cannot name"),
    "empty": ("# nobody yet\n\n", ": error: names no student"),
}


@pytest.mark.parametrize("case", sorted(STUDENT_FILES))
def test_a_bad_student_list_is_one_line_at_its_line(tmp_path: Path, case: str) -> None:
    text, message = STUDENT_FILES[case]
    names = tmp_path / "names.txt"
    names.write_text(text)
    with pytest.raises(ContentError) as raised:
        read_students(names)
    assert raised.value.message.startswith(f"{names}{message}")


def test_a_bad_student_list_on_the_command_line_writes_nothing(cur: Curriculum, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text(STUDENT_FILES["duplicate"][0])
    code, _, err = class_exam(cur, "new", "--students", str(names), "--out", str(tmp_path / "exam"))
    assert code == 1 and err.startswith(f"lpic3: {names}{STUDENT_FILES['duplicate'][1]}") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.txt"]


def test_an_inventory_names_the_students(cur: Curriculum, tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[desks]\nstudent[01:03] ansible_host=10.0.0.1\n\n[teacher]\nfront\n")
    out_dir = tmp_path / "exam"
    code, out, err = class_exam(cur, "new", "-i", str(inventory), "--limit", "desks", "--out", str(out_dir))
    assert code == 0, err
    names = [s["name"] for s in json.loads((out_dir / MANIFEST).read_text())["students"]]
    assert names == ["student01", "student02", "student03"]
    class_seed = json.loads((out_dir / MANIFEST).read_text())["class_seed"]
    assert f"class exam {class_seed}:" in out  # a seed drawn when none is given is recorded and said


def test_out_must_be_new_or_empty(cur: Curriculum, made: ClassExam, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not empty: a class exam gets a folder of its own"):
        new_class_exam(cur, ["alice"], made.folder, 1, html=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    new_class_exam(cur, ["alice"], empty, 1, html=False)
    assert sorted(p.name for p in empty.iterdir()) == sorted([MANIFEST, "alice.paper.md", "alice.sheet.yaml"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # no temporary folder left behind
    with pytest.raises(UsageError, match="cannot write a class exam to"):
        new_class_exam(cur, ["alice"], tmp_path / "no-such-folder" / "exam", 1, html=False)


def test_library_refuses_a_folder_without_manifest(cur: Curriculum, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="holds no class exam"):
        grade_class(cur, tmp_path)
