"""The project's own promises: the README's two set-up commands, .ci/run running the second, ruff clean."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text, re.DOTALL)


def test_readme_starts_with_two_set_up_commands() -> None:
    install, tests = readme_commands()[:2]
    assert "\n" not in install and "\n" not in tests
    assert "pip install ." in install and install.endswith("lpic3")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci.splitlines()


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(REPO / ".venv" / "bin" / "ruff")
    if not shutil.which(ruff):
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [ruff, "check", "trainer", "checkers", "tests", "bench"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_python_version_is_supported() -> None:
    assert sys.version_info >= (3, 11)
