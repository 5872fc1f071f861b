"""Mock exams: drawn by weight without repeats, reproducible by seed, scored and estimated honestly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import run_lpic3
from tests.study_fixtures import make_curriculum
from trainer.curriculum.model import Curriculum
from trainer.study.exam import ExamItem, PoolTooSmall, draw_exam
from trainer.study.grading import Response, grade
from trainer.study.paper import answer_sheet, read_sheet
from trainer.study.scoring import scaled_estimate, score_exam


@pytest.fixture(scope="module")
def cur(tmp_path_factory: pytest.TempPathFactory) -> Curriculum:
    return make_curriculum(tmp_path_factory.mktemp("synthetic"))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_exam_draws_one_question_per_weight_point(cur: Curriculum, seed: int) -> None:
    paper = draw_exam(cur, seed)
    assert len(paper.items) == 60 and paper.minutes == 90
    ids = [item.question.id for item in paper.items]
    assert len(set(ids)) == 60
    counts = Counter(item.question.objective for item in paper.items)
    assert counts == {oid: o.weight for oid, o in cur.objectives.items()}
    for item in paper.items:
        assert sorted(item.order) == list(range(len(item.question.options)))
        if item.question.type != "fill":
            assert sorted(item.to_file_indices(item.displayed_answer())) == sorted(item.question.answer)


def test_same_seed_same_paper_other_seed_other_paper(cur: Curriculum) -> None:
    assert draw_exam(cur, 7).fingerprint == draw_exam(cur, 7).fingerprint
    assert draw_exam(cur, 7).fingerprint != draw_exam(cur, 8).fingerprint


def test_small_pool_is_reported_not_papered_over(cur: Curriculum) -> None:
    cur.questions = [q for q in cur.questions if not (q.objective == "351.4" and not q.id.endswith(("-0", "-1")))]
    try:
        with pytest.raises(PoolTooSmall, match=r"351\.4 has 2 question"):
            draw_exam(cur, 1)
    finally:
        cur.questions = make_curriculum_questions(cur)


def make_curriculum_questions(cur: Curriculum) -> list:
    from trainer.curriculum.loader import load_curriculum

    return load_curriculum(cur.root).questions


def right_response(item: ExamItem) -> Response:
    q = item.question
    return q.accept[0] if q.type == "fill" else q.answer


def test_scoring_all_right_all_wrong_and_per_objective(cur: Curriculum) -> None:
    paper = draw_exam(cur, 3)
    perfect = score_exam(cur, paper, [right_response(i) for i in paper.items])
    assert perfect.overall.correct == 60 and perfect.scaled == 800 and perfect.passed
    blank = score_exam(cur, paper, [None] * 60)
    assert blank.overall.correct == 0 and blank.scaled == 200 and not blank.passed
    half = [right_response(i) if i.question.objective.startswith("351") else None for i in paper.items]
    result = score_exam(cur, paper, half)
    assert result.by_topic["351"].percent == 100 and result.by_topic["352"].percent == 0
    assert result.by_objective["351.4"].total == 9 and result.by_objective["351.4"].correct == 9
    assert result.overall.correct == 25


def test_scaled_estimate_anchors() -> None:
    assert scaled_estimate(0) == 200 and scaled_estimate(100) == 800 and scaled_estimate(65) == 500
    assert scaled_estimate(64) < 500 < scaled_estimate(66)
    assert all(scaled_estimate(p) <= scaled_estimate(p + 1) for p in range(100))


def test_answer_sheet_round_trip(cur: Curriculum, tmp_path: Path) -> None:
    paper = draw_exam(cur, 11)
    text = answer_sheet(paper)
    lines = text.splitlines()
    from trainer.curriculum.questions import LETTERS

    for number, item in enumerate(paper.items, 1):
        q = item.question
        if q.type == "fill":
            value = json.dumps("/usr/bin/" + q.accept[0])
        else:
            value = "[" + ", ".join(LETTERS[i] for i in item.displayed_answer()) + "]"
        lines = [f"  {number}: {value}" if line.startswith(f"  {number}:") else line for line in lines]
    sheet_path = tmp_path / "answers.yaml"
    sheet_path.write_text("\n".join(lines))
    sheet = read_sheet(sheet_path, cur)
    assert sheet.paper.fingerprint == paper.fingerprint
    assert all(grade(i.question, r) for i, r in zip(sheet.paper.items, sheet.responses, strict=True))


def test_cli_exam_new_and_grade(cur: Curriculum, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.yaml"
    made = run_lpic3("exam", "new", "--seed", "5", "--with-key", "--sheet", str(sheet), "--path", str(cur.root))
    assert made.returncode == 0, made.stderr
    assert made.stdout.count("## Question ") == 60 and "## Answer key" in made.stdout
    as_json = json.loads(run_lpic3("exam", "new", "--seed", "5", "--json", "--path", str(cur.root)).stdout)
    assert len(as_json["questions"]) == 60 and "answer" not in as_json["questions"][0]
    graded = run_lpic3("exam", "grade", str(sheet), "--json", "--path", str(cur.root))
    assert graded.returncode == 0, graded.stderr
    report = json.loads(graded.stdout)
    assert report["correct"] == 0 and report["total"] == 60 and report["scaled_estimate"] == 200
    assert "estimate" in report["estimate_note"]
    sheet.write_text(sheet.read_text().replace("  1:    #", "  1: Z    #"))
    bad = run_lpic3("exam", "grade", str(sheet), "--path", str(cur.root))
    assert bad.returncode == 1 and "sheet.yaml:" in bad.stderr and "'Z' is not one of" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_sheet_for_another_curriculum_version(cur: Curriculum, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("seed: 5\nfingerprint: 0000\nanswers:\n")
    result = run_lpic3("exam", "grade", str(sheet), "--path", str(cur.root))
    assert result.returncode == 1 and "different version of the curriculum" in result.stderr
