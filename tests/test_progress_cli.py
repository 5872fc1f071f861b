"""``lpic3 progress`` reads the real store; the curriculum cache is rebuilt whenever a file changes."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from tests.conftest import Tree, run_lpic3
from tests.test_lint_errors import GOOD_SINGLE
from trainer.curriculum.cache import load_cached
from trainer.curriculum.loader import load_curriculum
from trainer.study.store import Store


def test_progress_reports_answers_due_reviews_and_last_exam(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.open(home / "progress.sqlite3")
    question = load_curriculum().questions_for("351.2")[0]
    store.record_answer(question.id, "351.2", "practice", True, question.answer)
    store.record_answer(question.id, "351.2", "practice", False, None)
    from trainer.study.review import Recall, schedule

    schedule(store, question.id, Recall.WRONG, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))  # due now
    exam = store.start_exam(1, 90, [])
    graded: dict[str, object] = {"correct": 40, "total": 60, "percent": 66.7, "scaled_estimate": 514}
    store.finish_exam(exam, 100.0, lambda saved: (graded, []))
    store.close()
    result = run_lpic3("progress", "--json", env={"LPIC3_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    row = next(r for r in report["objectives"] if r["objective"] == "351.2")
    assert (row["answered"], row["attempts"], row["correct"], row["accuracy"], row["due_reviews"]) == (1, 2, 1, 50.0, 1)
    assert report["last_exam"]["scaled_estimate"] == 514
    text = run_lpic3("progress", env={"LPIC3_HOME": str(home)}).stdout
    assert "351.2" in text and "last mock exam: 40/60" in text


def test_progress_with_a_broken_store_says_so_and_keeps_the_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.sqlite3").write_text("not sqlite" * 50)
    result = run_lpic3("progress", env={"LPIC3_HOME": str(home)})
    assert result.returncode == 0 and "moved to" in result.stderr and "Traceback" not in result.stderr
    assert any(".broken-" in p.name for p in home.iterdir())


def test_cache_follows_edits(tree: Tree, tmp_path: Path) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    cache = tmp_path / "cache"
    assert len(load_cached(tree.root, cache).questions) == 1
    assert len(list(cache.iterdir())) == 1
    assert len(load_cached(tree.root, cache).questions) == 1  # from the cache
    path = tree.write("content/351.5/questions.yaml", GOOD_SINGLE + GOOD_SINGLE.replace("351.5-good", "351.5-two"))
    os.utime(path, ns=(1, 1))
    assert [q.id for q in load_cached(tree.root, cache).questions] == ["351.5-good", "351.5-two"]
    (next(cache.iterdir())).write_bytes(b"garbage")
    assert len(load_cached(tree.root, cache).questions) == 2
