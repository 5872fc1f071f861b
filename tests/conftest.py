"""Shared fixtures: every test gets its own LPIC3_HOME, and helpers to build content trees."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.session import ShellSession, local_argv
from tests.student_machines import student_machines  # noqa: F401 (a session fixture: the class's machines)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch a real home: user data goes to a fresh directory."""
    monkeypatch.setenv("LPIC3_HOME", str(tmp_path_factory.mktemp("lpic3-home")))


class Tree:
    """A content tree in a temporary folder, written file by file by a test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "content").mkdir(parents=True)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path / "tree")


def run_lpic3(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "trainer", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def local_shell() -> Iterator[ShellSession]:
    """One persistent local shell per test module, as a lab run uses."""
    with ShellSession(local_argv(), "local") as session:
        yield session


# Under CI=true a skipped test fails the run unless it is on tests/ci_skips.py's allow-list.
from tests.ci_skips import (  # noqa: E402, F401
    pytest_collectreport,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
from tests.xdist_groups import pytest_collection_modifyitems  # noqa: E402, F401
