"""The project's own promises: the README's two set-up commands, .ci/run running the second, ruff clean."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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


def fake_tools(bin_dir: Path, pytest_status: int) -> None:
    """Stand-ins for apt-get and python3: the venv's "pytest" records its environment and exits
    ``pytest_status``, so .ci/run's own logic runs for real, in seconds."""
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "python3").write_text(
        "#!/bin/sh\n"  # python3 -m venv .venv
        'mkdir -p "$3/bin"\n'
        'printf "#!/bin/sh\\nexit 0\\n" > "$3/bin/pip"\n'
        f'printf "#!/bin/sh\\necho \\"CI=\\$CI \\$*\\" > ran\\nexit {pytest_status}\\n" > "$3/bin/python"\n'
        'chmod +x "$3/bin/pip" "$3/bin/python"\n'
    )
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)


@pytest.mark.parametrize("pytest_status", [0, 1, 5])
def test_ci_fails_whenever_pytest_does_no_tests_included(pytest_status: int, tmp_path: Path) -> None:
    """.ci/run exits with pytest's status (5 is "no tests collected"), runs it with CI=true, nothing after."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(REPO / ".ci" / "run", tmp_path / ".ci" / "run")
    fake_tools(tmp_path / "bin", pytest_status)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = f"{tmp_path / 'bin'}:{env['PATH']}"
    result = subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == pytest_status, result.stderr
    assert (tmp_path / "ran").read_text() == "CI=true -m pytest\n"


def test_ci_installs_what_the_cloud_init_lab_needs() -> None:
    """cloud-localds comes from cloud-image-utils: without it the cloud-init lab was skipped on every fresh machine."""
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^\s+cloud-init cloud-image-utils\s", ci, re.MULTILINE)


SKIPPING_TESTS = """
import pytest

def test_runs():
    pass

def test_skipped():
    pytest.skip("needs frobnicate")

@pytest.mark.skipif(True, reason="needs widget")
def test_marked():
    pass

def test_allowed():
    pytest.skip("needs a thing this machine cannot have")

@pytest.mark.xfail(reason="a known fault")
def test_known_fault():
    assert False
"""


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("ci", ["true", None])
def test_a_skip_fails_the_run_under_ci_unless_allowed(ci: str | None, workers: str, tmp_path: Path) -> None:
    """The skip hook of tests/ci_skips.py, in a pytest run of its own: under CI=true each skip not on the
    allow-list is a failure (a module skipped whole fails the run at its end); outside CI skips stay skips.
    The same whether the run is split over pytest-xdist workers (as CI's is) or not."""
    (tmp_path / "conftest.py").write_text(
        "import tests.ci_skips as ci\n"
        "from tests.ci_skips import pytest_collectreport, pytest_runtest_makereport\n"
        "from tests.ci_skips import pytest_sessionfinish, pytest_terminal_summary\n"
        'ci.ALLOWED_SKIPS["test_sample.py::test_allowed"] = "the thing"\n'
    )
    (tmp_path / "test_sample.py").write_text(SKIPPING_TESTS)
    (tmp_path / "test_whole_module.py").write_text(
        'import pytest\npytest.skip("needs gadget", allow_module_level=True)\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(REPO)} | ({"CI": ci} if ci else {})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-n", workers, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    # "test_x.py::t PASSED" in one process, "[gw0] [ 50%] PASSED test_x.py::t" over workers
    one = re.findall(r"^(test_\S+::\S+) (PASSED|FAILED|SKIPPED|XFAIL|ERROR)\b", result.stdout, re.M)
    split = re.findall(
        r"^\[gw\d+\] \[ *\d+%\] (PASSED|FAILED|SKIPPED|XFAIL|ERROR) (test_\S+::\S+)", result.stdout, re.M
    )
    outcomes = dict(one) | {test: outcome for outcome, test in split}
    if ci:
        assert result.returncode == 1, result.stdout
        assert outcomes == {
            "test_sample.py::test_runs": "PASSED",
            "test_sample.py::test_skipped": "FAILED",
            "test_sample.py::test_marked": "ERROR",  # a skip mark acts in setup: pytest calls that an error
            "test_sample.py::test_allowed": "SKIPPED",
            "test_sample.py::test_known_fault": "XFAIL",
        }, result.stdout
        assert "FAILED (module skipped under CI=true) test_whole_module.py: needs gadget" in result.stdout
        assert "skipped under CI=true: needs frobnicate" in result.stdout
    else:
        assert result.returncode == 0, result.stdout
        assert "1 passed, 4 skipped, 1 xfailed" in result.stdout
