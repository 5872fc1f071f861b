"""The lab service and the ``lpic3 lab`` commands on top of it, with real shells on this machine: a
timeout is never a verdict, the requirements check comes before consent and consent before any
change, the seed is recorded, a task before its start shows stand-ins, a store error is one line,
and one operation at a time uses a lab's shell, which only its holder closes."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from checkers.detect import detect
from checkers.probes import FAIL, NOT_JUDGED, PASS, Verdict, run_probe
from checkers.session import Interrupted, ShellSession, local_argv
from checkers.targets import parse_target
from tests.conftest import Tree, run_lpic3
from tests.lab_fixtures import LAB_ID, remove_workdirs, slow_lab
from trainer.curriculum.loader import load_curriculum
from trainer.labs.render import choose_params
from trainer.labs.runner import CheckResult, outcome
from trainer.labservice import Lab, LabBusy
from trainer.study.store import Store

pytestmark = pytest.mark.usefixtures("remove_workdirs")
__all__ = ["remove_workdirs"]  # the fixture, used by every test here


def lpic3(tree: Tree, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = run_lpic3(*args, "--path", str(tree.root), env=env)
    return result.returncode, result.stdout, result.stderr


def attempts() -> list[tuple[object, ...]]:
    """The recorded attempts: (seed, passed, checked_at, params) each."""
    db = sqlite3.connect(Path(os.environ["LPIC3_HOME"]) / "progress.sqlite3")
    try:
        return db.execute("SELECT seed, passed, checked_at, params FROM lab_attempts ORDER BY id").fetchall()
    finally:
        db.close()


def test_a_command_without_an_answer_is_not_judged() -> None:
    with ShellSession(local_argv(), "local", time_scale=0.01) as session:  # 60 s budgets become 0.6 s
        start = time.monotonic()
        verdict = run_probe(session, "command.status", {"command": "sleep 5"})
        assert time.monotonic() - start < 3
        assert verdict.outcome == NOT_JUDGED and not verdict.passed and not verdict.judged
        assert verdict.seen.startswith("no answer in 1 s (from `sleep 5`), not judged; check again")
        assert session.run("echo alive").output == "alive\n"  # the session starts afresh


def test_a_failure_beside_a_timeout_is_a_failure(tree: Tree, tmp_path: Path) -> None:
    check = slow_lab(tree, tmp_path / "log").checks[0]

    def result(outcome_: str) -> CheckResult:
        verdict = Verdict(outcome_ == PASS, "x", "y") if outcome_ != NOT_JUDGED else Verdict.not_judged("x", "y")
        return CheckResult(check, verdict)

    assert outcome([result(PASS), result(PASS)]) == PASS
    assert outcome([result(PASS), result(NOT_JUDGED)]) == NOT_JUDGED
    assert outcome([result(NOT_JUDGED), result(FAIL)]) == FAIL


def test_lab_check_without_an_answer_says_not_judged_and_records_nothing(tree: Tree, tmp_path: Path) -> None:
    slow_lab(tree, tmp_path / "log", sleep=6)
    assert lpic3(tree, "lab", "start", LAB_ID, "--yes")[0] == 0
    assert lpic3(tree, "lab", "solve", LAB_ID, "--apply", "--yes")[0] == 0  # the state is right
    # 1.2 s per command, 4.8 s at most on a loaded machine (pace.MAX_LOAD_FACTOR): the 6 s check cannot answer
    hurried = {"LPIC3_TIME_SCALE": "0.02"}
    status, out, err = lpic3(tree, "lab", "check", LAB_ID, env=hurried)
    assert status == 2, (out, err)
    assert out.startswith("NOT JUDGED made: ") and "not judged; check again" in out and "FAIL" not in out
    assert err.strip() == (
        "lpic3: 1 check(s) not judged: this machine (local) gave no answer in time; nothing was recorded, check again"
    )
    status, out, _ = lpic3(tree, "lab", "check", LAB_ID, "--json", env=hurried)
    assert status == 2 and json.loads(out)["outcome"] == NOT_JUDGED
    ((_, passed, checked_at, _),) = attempts()
    assert passed is None and checked_at is None  # never recorded as a failed attempt
    status, out, _ = lpic3(tree, "lab", "check", LAB_ID)  # with its full budget: the right state passes
    assert status == 0 and out.startswith("PASS       made: ")
    assert attempts()[0][1] == 1


def test_a_bad_time_scale_is_one_line(tree: Tree, tmp_path: Path) -> None:
    slow_lab(tree, tmp_path / "log")
    status, _, err = lpic3(tree, "lab", "start", LAB_ID, "--yes", env={"LPIC3_TIME_SCALE": "fast"})
    assert (
        status == 2
        and err == "lpic3: LPIC3_TIME_SCALE must be a number above 0 (it multiplies time budgets), not 'fast'\n"
    )


def test_nothing_changes_without_consent_and_requirements_come_first(tree: Tree, tmp_path: Path) -> None:
    log = tmp_path / "log"
    slow_lab(tree, log)
    status, _, err = lpic3(tree, "lab", "start", LAB_ID)  # no terminal, no --yes
    assert status == 2 and err.startswith(f"lpic3: Starting lab {LAB_ID} runs its setup on this machine (local)")
    assert err.strip().endswith("add --yes to allow it")
    assert not log.exists() and attempts() == []
    with ShellSession(local_argv(), "local") as session:
        found = detect(session, ["systemd", "xen-tools", "vagrant", "packer", "lxd"])
    missing = next((f for f in found.values() if not f.available), None)
    if missing is None:
        pytest.skip("this machine has every feature the test could ask for")
    text = (tree.root / "exercises/351.5/slow-check.yaml").read_text()
    (tree.root / "exercises/351.5/slow-check.yaml").write_text(
        text.replace("requires: []", f"requires: [{missing.name}]")
    )
    status, _, err = lpic3(tree, "lab", "start", LAB_ID)
    assert status == 2 and f"cannot run on this machine (local) because {missing.name}: {missing.reason}" in err
    assert not log.exists()


def test_the_seed_is_recorded_and_draws_the_same_values(tree: Tree, tmp_path: Path) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=0)
    assert lpic3(tree, "lab", "start", LAB_ID, "--yes", "--seed", "11")[0] == 0
    shown = json.loads(lpic3(tree, "lab", "show", LAB_ID, "--json")[1])
    assert shown["seed"] == 11 and shown["started"]
    assert shown["params"]["name"] == choose_params(exercise, random.Random(11))["name"]
    store = Store.open()
    try:  # without a seed the service draws one, and records it
        lab = Lab(exercise, parse_target("local"), store, consent=lambda _: True)
        attempt = lab.start()
        assert attempt.seed is not None
        assert attempt.params["name"] == choose_params(exercise, random.Random(attempt.seed))["name"]
        lab.close()
    finally:
        store.close()


def test_the_task_before_a_start_shows_stand_ins(tree: Tree, tmp_path: Path) -> None:
    slow_lab(tree, tmp_path / "log", sleep=0)
    status, out, _ = lpic3(tree, "lab", "show", LAB_ID)
    assert status == 0 and "Create a file named <name> in <workdir>." in out and "{{" not in out
    assert "get their values when the lab starts" in out
    lpic3(tree, "lab", "start", LAB_ID, "--yes")
    out = lpic3(tree, "lab", "show", LAB_ID)[1]
    ((_, _, _, params),) = attempts()
    assert f"Create a file named {json.loads(str(params))['name']} in /" in out and "<name>" not in out


BROKEN_HOMES = ["a file", "a folder for the database"]
COMMANDS = [
    ("labs",),
    ("lab", "show", LAB_ID),
    ("lab", "hint", LAB_ID),
    ("lab", "start", LAB_ID, "--yes"),
    ("lab", "check", LAB_ID),
    ("lab", "reset", LAB_ID, "--yes"),
    ("lab", "solve", LAB_ID),
]


@pytest.mark.parametrize("broken", BROKEN_HOMES)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_store_error_is_one_line(tree: Tree, tmp_path: Path, broken: str, command: tuple[str, ...]) -> None:
    log = tmp_path / "log"
    slow_lab(tree, log, sleep=0)
    home = tmp_path / "home"
    if broken == "a file":
        home.write_text("not a folder")
    else:
        (home / "progress.sqlite3").mkdir(parents=True)
    status, out, err = lpic3(tree, *command, env={"LPIC3_HOME": str(home)})
    assert status == 1, (out, err)
    assert err.startswith("lpic3: ") and err.count("\n") == 1 and "progress" in err
    assert "internal error" not in err and "Traceback" not in err
    assert not log.exists()  # nothing was set up on a store that cannot record it


def test_a_busy_store_is_one_line_for_a_hint(tree: Tree, tmp_path: Path) -> None:
    slow_lab(tree, tmp_path / "log", sleep=0)
    assert lpic3(tree, "lab", "start", LAB_ID, "--yes")[0] == 0
    db = sqlite3.connect(Path(os.environ["LPIC3_HOME"]) / "progress.sqlite3", isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")  # another program holds the write lock for the whole command
    try:
        status, _, err = lpic3(tree, "lab", "hint", LAB_ID)
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert status == 1 and err.startswith("lpic3: ") and err.count("\n") == 1 and "in use" in err


def test_one_operation_at_a_time_and_only_the_holder_closes_the_shell(tree: Tree, tmp_path: Path) -> None:
    exercise = slow_lab(tree, tmp_path / "log", sleep=30)
    store = Store.open()
    lab = Lab(exercise, parse_target("local"), store, consent=lambda _: True)
    values = lab.record_start(lab.set_up()).params
    cancel, ended = threading.Event(), list[str]()

    def check() -> None:
        try:
            lab.judge(values, cancel)
            ended.append("judged")
        except Interrupted:
            ended.append("interrupted")

    worker = threading.Thread(target=check)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not (lab.connection.busy and lab.connection.session and lab.connection.session.commands):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(LabBusy, match="busy with another operation"):
            lab.judge(values)
        assert lab.connection.session is not None and lab.connection.session.child is not None
        pid = lab.connection.session.child.pid
        lab.close()  # from another thread while in use: the shell stays until its holder lets go
        assert Path(f"/proc/{pid}").exists() and worker.is_alive()
        asked = time.monotonic()
        cancel.set()
        worker.join(timeout=5)
        assert ended == ["interrupted"] and time.monotonic() - asked < 2
        assert not Path(f"/proc/{pid}").exists() and lab.connection.session is None
    finally:
        cancel.set()
        worker.join(timeout=5)
        store.close()


_RESTART_LAB = """
id: 351.5-restart
objective: "351.5"
title: A job started by setup
terms: [qemu-img]
difficulty: 1
requires: []
task: Leave the job in {{workdir}} running.
setup: |
  setsid sleep 300 </dev/null >/dev/null 2>&1 &
  echo $! > {{workdir}}/job
checks:
  - id: running
    probe: command.status
    args: {command: "kill -0 $(cat {{workdir}}/job)"}
    hint: The job must run.
solution: "true"
reset: "true"
wrong_answers:
  - name: the job stopped
    script: kill $(cat {{workdir}}/job)
    fails: [running]
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_new_start_resets_the_attempt_it_replaces(tree: Tree) -> None:
    """Each attempt has its own folder and records, so starting again must reset the old attempt with
    its own values: its folder goes and the job its setup started is stopped."""
    tree.write("exercises/351.5/restart.yaml", _RESTART_LAB)
    (exercise,) = load_curriculum(tree.root).exercises
    store = Store.open()
    lab = Lab(exercise, parse_target("local"), store, consent=lambda _: True)
    started = []
    try:
        first = lab.start()
        started.append(first)
        old_job = int((Path(first.params["workdir"]) / "job").read_text())
        assert _alive(old_job)
        second = lab.start()
        started.append(second)
        new_job = int((Path(second.params["workdir"]) / "job").read_text())
        deadline = time.monotonic() + 10
        while _alive(old_job) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(old_job), "the replaced attempt's job still runs"
        assert not Path(first.params["workdir"]).exists()
        assert _alive(new_job) and Path(second.params["workdir"]).is_dir()
        lab.reset(second.params)
        assert not Path(second.params["workdir"]).exists()
    finally:
        for attempt in started:  # what a failed assertion left running is the test's to stop
            lab.reset(attempt.params)
        lab.close()
        store.close()


def test_an_attempt_recorded_without_a_working_folder_counts_as_not_started(tree: Tree, tmp_path: Path) -> None:
    """An attempt stored by an older lpic3 has no ``workdir``: the lab says to start it again
    instead of crashing on the missing value."""
    slow_lab(tree, tmp_path / "log", sleep=0)
    store = Store.open()
    try:
        store.db.execute(
            "INSERT INTO lab_attempts (exercise_id, target, params, started_at) VALUES (?, 'local', ?, 0)",
            (LAB_ID, json.dumps({"name": "alpha"})),
        )
        store.db.commit()
    finally:
        store.close()
    for action in ("check", "hint", "solve"):
        status, _, err = lpic3(tree, "lab", action, LAB_ID)
        assert status == 2 and "was not started" in err and "Traceback" not in err, (action, err)
    shown = json.loads(lpic3(tree, "lab", "show", LAB_ID, "--json")[1])
    assert not shown["started"] and "<name>" in shown["task"]
