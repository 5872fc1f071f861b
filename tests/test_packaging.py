"""An installed wheel works anywhere: it carries content/ and exercises/, and lpic3 finds them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from trainer.curriculum.loader import load_curriculum


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    (built,) = out.glob("lpic3_trainer-*.whl")
    return built


def test_wheel_carries_the_curriculum(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "trainer/_bundled/content/objectives.yaml" in names
    assert "trainer/tui/app.tcss" in names
    assert "trainer/_bundled/docs/content-format.md" in names  # `lpic3 help TOPIC` prints it
    for lesson in (REPO / "content").glob("*/lesson.md"):
        assert f"trainer/_bundled/content/{lesson.parent.name}/lesson.md" in names
    for exercise in (REPO / "exercises").glob("*/*.yaml"):
        assert f"trainer/_bundled/exercises/{exercise.parent.name}/{exercise.name}" in names
    assert not any(n.startswith(("tests/", ".venv/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_lints_from_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([venv / "bin" / "pip", "install", "-q", str(wheel)], check=True, timeout=600, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def installed(*argv: str | Path) -> subprocess.CompletedProcess[str]:
        """Run a program of the fresh venv from a folder outside the source tree."""
        return subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)

    result = installed(venv / "bin" / "lpic3", "lint", "--json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    source = load_curriculum()
    assert (report["questions"], report["exercises"], report["lessons"]) == (
        len(source.questions),
        len(source.exercises),
        len(source.lessons),
    )
    where = installed(venv / "bin" / "python", "-c", "import trainer.paths as p; print(p.bundled_root())")
    assert where.stdout.strip().startswith(str(venv)), where.stdout
    version = installed(venv / "bin" / "lpic3", "--version")
    assert version.stdout.startswith("lpic3 ")
    assert f"objectives version 3.0 ({venv}" in version.stdout, version.stdout  # the installed curriculum's
    page = installed(venv / "bin" / "lpic3", "help", "labs")
    assert page.returncode == 0 and page.stdout.startswith("## Exercises: "), page.stdout + page.stderr
