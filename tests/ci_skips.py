"""Under ``CI=true`` a skipped test fails the run: CI must run every test it is meant to run, and a
tool missing from ``.ci/run`` must not pass as a quiet skip (the cloud-init lab once did, on every
fresh machine). The exceptions are the few tests on ``ALLOWED_SKIPS``, each naming what a CI machine
of this kind cannot have. tests/conftest.py imports the hooks below, which is what registers them.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

# test id or its prefix (a whole module: "tests/test_kvm.py::") -> what a CI machine
# (Debian 12, root, 2 cores, no systemd as PID 1, no usable KVM) cannot have, so the skip is expected.
# Keep it short: a tool that can be installed goes into .ci/run instead.
ALLOWED_SKIPS: dict[str, str] = {}
SKIPPED_MODULES: list[str] = []  # "module: reason" for each module skipped whole in this run


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def allowed(nodeid: str) -> bool:
    return any(nodeid.startswith(prefix) for prefix in ALLOWED_SKIPS)


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return reason.removeprefix("Skipped: ")


def _failed_instead(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip into a failure that says what was skipped and what to do about it."""
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true: {skip_reason(report)}\n"
        "CI must run this test: install what it needs in .ci/run, or, if a CI machine cannot have it,"
        " add the test to ALLOWED_SKIPS in tests/ci_skips.py with what is missing."
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and in_ci() and not allowed(item.nodeid):
        _failed_instead(report)
    return report


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A whole module skipped at import (``pytest.skip(allow_module_level=True)``) counts too. It stays
    a skip in the report (a collection error would stop every other test) and fails the run at the end.
    This hook, unlike the collection itself, also runs in pytest-xdist's controller, which gets every
    worker's skipped collection: so the run fails whether it was split over workers or not."""
    if (
        report.skipped
        and in_ci()
        and not allowed(report.nodeid)
        and not any(line.startswith(f"{report.nodeid}: ") for line in SKIPPED_MODULES)
    ):
        SKIPPED_MODULES.append(f"{report.nodeid}: {skip_reason(report)}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in SKIPPED_MODULES:
        terminalreporter.write_line(f"FAILED (module skipped under CI=true) {line}", red=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if SKIPPED_MODULES and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
