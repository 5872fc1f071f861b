"""Types are checked, not only written: mypy over the code, the tests and the benchmarks is clean with
the configuration in pyproject.toml ([tool.mypy]: strict on checkers and trainer.study, no unused
`type: ignore`), and that configuration really is strict where it says so."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO

STRICT_PACKAGES = ("checkers", "trainer.study")


def mypy(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def test_mypy_is_clean() -> None:
    result = mypy()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


def test_the_checked_files_cover_the_code_and_the_strict_packages_are_strict() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert set(config["files"]) == {"trainer", "checkers", "tests", "bench"}
    assert config["warn_unused_ignores"] is True
    (strict,) = [o for o in config["overrides"] if "checkers" in o["module"]]  # the others only quiet a library
    for package in STRICT_PACKAGES:
        assert {package, f"{package}.*"} <= set(strict["module"])
    assert strict["disallow_untyped_defs"] and strict["disallow_any_generics"] and strict["warn_return_any"]


# module -> (code added to it, the error mypy must then report there, or None: none may be reported)
FAULTS = {
    "checkers/shell.py": ("def sloppy(x):\n    return x\n", "no-untyped-def"),  # strict: an untyped def
    "trainer/study/scoring.py": ("def sloppy(x: dict) -> int:\n    return 1\n", "type-arg"),  # strict: bare dict
    "trainer/curriculum/terms.py": ('def sloppy(x):\n    n: int = "x"\n    return x\n', "assignment"),  # bodies
    "trainer/curriculum/model.py": ("n: int = 1  # type: ignore\n", "unused-ignore"),  # everywhere
}


def test_mypy_refuses_what_the_configuration_forbids(tmp_path: Path) -> None:
    """A copy of the tree with one fault added per module: mypy names each, at its module; the untyped
    function that is refused in checkers is allowed (only its body checked) outside the strict packages."""
    for part in ("trainer", "checkers"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, (code, _) in FAULTS.items():
        target = tmp_path / module
        target.write_text(target.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")
    result = mypy("--cache-dir", str(tmp_path / "cache"), "trainer", "checkers", cwd=tmp_path)
    reported = re.findall(r"^(\S+\.py):\d+: error: .*\[([a-z-]+)\]$", result.stdout, re.MULTILINE)
    for module, (_, error) in FAULTS.items():
        assert (module, error) in reported, result.stdout[-3000:]
    assert ("trainer/curriculum/terms.py", "no-untyped-def") not in reported
