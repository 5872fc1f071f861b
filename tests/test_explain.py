"""``lpic3 lab check --explain`` and the lab screen's e key: the exact commands each check ran on the
target and what each returned, before the verdict; on this machine, with a bundled lab."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from checkers.record import OUTPUT_LIMIT, SHOWN_LINES, Recorder
from checkers.session import ShellSession, local_argv
from tests.conftest import run_lpic3
from tests.lab_fixtures import remove_workdirs, until
from tests.test_lab_screen import STAND_IN, open_lab, start, text
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.lab import LabScreen

pytestmark = pytest.mark.usefixtures("remove_workdirs")
__all__ = ["remove_workdirs"]  # the fixture, used by every test here

LAB = "351.1-cpu-virt-flags"  # reads /proc/cpuinfo and a file in {{workdir}}: runs on any Linux


@pytest.fixture(scope="module")
def bundled() -> Curriculum:
    return load_curriculum()


@pytest.fixture
def started() -> Iterator[str]:
    """The lab started on this machine; its working folder. Reset afterwards."""
    result = run_lpic3("lab", "start", LAB, "--target", "local", "--yes")
    assert result.returncode == 0, result.stderr
    show = json.loads(run_lpic3("lab", "show", LAB, "--json").stdout)
    yield show["params"]["workdir"]
    run_lpic3("lab", "reset", LAB, "--yes")


def test_explain_prints_each_command_and_what_it_returned_before_the_verdict(started: str) -> None:
    result = run_lpic3("lab", "check", LAB, "--explain")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    block = out.split("\n\n")[0].splitlines()  # the first check: the file holding the answer
    assert block[0] == "check answer-format (file.contains) ran on this machine (local):"
    assert block[1] == f"  $ cat {started}/answer"
    assert re.fullmatch(r"    -> exit 1 \(\d+\.\d\d s\)", block[2]), block[2]
    assert block[3] == f"    | cat: {started}/answer: No such file or directory"
    assert block[4].startswith("FAIL       answer-format: expected ")
    # A multi-line command shows as a terminal shows it, its output as the target printed it.
    assert f"  > got=$(sed -n 1p {started}/answer | tr -d" in out
    assert re.search(r"\n    \| answer: nothing, /proc/cpuinfo: (vmx|svm|none)\n", out)
    assert out.rstrip().endswith("0/3 checks passed")
    plain = run_lpic3("lab", "check", LAB).stdout
    assert "$ " not in plain and plain.startswith("FAIL       answer-format: expected ")


def test_explain_in_json_carries_the_commands_of_a_passing_check(started: str) -> None:
    assert run_lpic3("lab", "solve", LAB, "--apply", "--yes").returncode == 0
    result = run_lpic3("lab", "check", LAB, "--explain", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = json.loads(result.stdout)["checks"]
    assert [c["outcome"] for c in checks] == ["pass"] * 3
    (read,) = checks[0]["commands"]
    answer = Path(started, "answer").read_text()
    assert read == {
        "command": f"cat {started}/answer",
        "status": 0,
        "output": answer,
        "errors": "",
        "seconds": read["seconds"],
        "timed_out": False,
        "refused": None,
    }
    (flag,) = checks[1]["commands"]  # the command as the check wrote it, run as it was (maybe wrapped)
    assert "want=$(grep -Eow " in flag["command"] and flag["status"] == 0
    assert flag["output"].startswith(f"answer: {answer.split()[0]}, /proc/cpuinfo: {answer.split()[0]}\n")
    assert "commands" not in json.loads(run_lpic3("lab", "check", LAB, "--json").stdout)["checks"][0]


def test_what_is_kept_of_an_output_is_capped_and_a_timeout_says_so() -> None:
    with ShellSession(local_argv(), "local") as session:
        recorder = Recorder(session)
        recorder.run("seq 1 5000")
        recorder.run("lpic3-no-such-tool")
        session.time_scale = 0.01  # 60 s budgets become 0.6 s
        recorder.run("sleep 5")
        long, missing, slow = recorder.take()
        assert recorder.take() == ()
    assert long.output.startswith("1\n2\n3\n") and len(long.output) < OUTPUT_LIMIT + 40
    printed = "".join(f"{n}\n" for n in range(1, 5001))
    assert long.output == printed[:OUTPUT_LIMIT] + f"\n[{len(printed) - OUTPUT_LIMIT} more characters]"
    lines = long.lines()
    assert lines[2:4] == ["  | 1", "  | 2"] and len(lines) == 2 + SHOWN_LINES + 1
    assert re.fullmatch(r"  \| \[\d+ more line\(s\)\]", lines[-1])
    assert slow.timed_out and slow.to_json()["status"] is None
    assert slow.lines()[1].startswith("  -> no answer in time (")
    assert missing.refused.startswith("the real lpic3-no-such-tool is missing")  # the session's own reason
    assert re.fullmatch(
        r"  -> exit 127 \(\d\.\d\d s\), not trusted: the real lpic3-no-such-tool is missing.*", missing.lines()[1]
    )


def shown(screen: LabScreen) -> str:
    """What the lab screen shows of the commands ('' while they are hidden)."""
    view = screen.query_one("#lab-explain", Static)
    return str(view.render()) if view.display else ""


async def test_e_on_the_lab_screen_shows_the_commands_of_the_last_check(bundled: Curriculum) -> None:
    exercise = next(e for e in bundled.exercises if e.id == LAB)
    store = Store.open()
    try:
        app = TrainerApp(bundled, store)
        async with app.run_test(size=(100, 40)) as pilot:
            screen = await open_lab(app, pilot, exercise, store, STAND_IN)
            await pilot.press("e")
            assert any(n.message.startswith("Check first (c)") for n in app._notifications)
            assert shown(screen) == ""
            await start(pilot, app, screen)
            workdir = screen.lab.started().params["workdir"]
            await pilot.press("c")
            await until(pilot, lambda: screen.job is None and "checks passed" in text(screen, "#lab-results"))
            await pilot.press("e")
            said = shown(screen)
            assert "\nFAIL answer-format (file.contains): expected " in said
            assert f"$ cat {workdir}/answer\n  -> exit 1 (" in said
            assert f"| cat: {workdir}/answer: No such file or directory" in said
            assert said.count("\n$ ") == 3 and said.count(": expected ") == 3
            await pilot.press("e")
            assert shown(screen) == ""
            await pilot.press("e", "c")  # a new check: what it said of the last one goes
            assert shown(screen) == ""
            await until(pilot, lambda: screen.job is None)
            await pilot.press("e")
            assert f"$ cat {workdir}/answer\n" in shown(screen)
    finally:
        store.close()
