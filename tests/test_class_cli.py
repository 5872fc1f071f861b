"""``lpic3 class`` as an instructor runs it (``python -m trainer``), on real student machines: start
with hand-outs, a live check table, --watch until Ctrl-C, a killed check that loses nothing it
showed, and reports that say the same thing twice."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from checkers.pace import load_factor
from tests.conftest import REPO, run_lpic3
from tests.student_machines import Classroom, lab_tree
from tests.test_class_lab import HangingServer
from trainer.classroom.access import ClassAccess
from trainer.classroom.gradebook import Gradebook
from trainer.classroom.inventory import read_inventory
from trainer.classroom.reports import FORMATS, class_report
from trainer.curriculum.loader import load_curriculum

LAB = "351.1-cpu-virt-flags"
CHECKS = ["answer-format", "virt-flag", "guest-flag"]
pytestmark = pytest.mark.xdist_group("class-machines")


class Instructor:
    """An instructor's data folder, a lab tree and an inventory of four student machines."""

    def __init__(self, room: Classroom, folder: Path) -> None:
        self.home, self.tree = folder / "home", lab_tree(folder / "tree", "351.1/cpu-virt-flags.yaml")
        self.machines = room.machines[10:14]
        self.inventory = room.inventory(folder / "class.ini", self.machines)
        self.env = {"LPIC3_HOME": str(self.home)}

    def lpic3(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_lpic3(*args, "--path", str(self.tree), env=self.env)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """The command, run to be stopped as Ctrl-C stops it: with SIGINT's default disposition even
        when this test run inherited it ignored (a run a non-interactive shell started with ``&``),
        since Python makes SIGINT a KeyboardInterrupt only when it was not ignored."""
        return subprocess.Popen(
            ["env", "--default-signal=INT", sys.executable, "-m", "trainer", *args, "--path", str(self.tree)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, **self.env},
        )

    def disconnect(self, inventory: Path | None = None) -> None:
        """ssh's kept-open connections that the commands left for reuse are closed."""
        access = ClassAccess(self.home / "class")
        for student in read_inventory(inventory or self.inventory):
            access.target(student).disconnect()


@pytest.fixture
def instructor(student_machines: Classroom, tmp_path: Path) -> Iterator[Instructor]:
    person = Instructor(student_machines, tmp_path)
    yield person
    person.disconnect()


def test_start_check_and_report(instructor: Instructor, tmp_path: Path) -> None:
    handout = tmp_path / "handout"
    inventory = str(instructor.inventory)
    started = instructor.lpic3("class", "lab", "start", LAB, "-i", inventory, "--yes", "--handout", str(handout))
    assert started.returncode == 0, started.stderr
    names = [m.name for m in instructor.machines]
    assert sorted(p.name for p in handout.iterdir()) == sorted(f"{n}.md" for n in names)
    page = (handout / "student11.md").read_text()
    assert page.startswith("# Read the CPU's virtualization flags") and "Student: student11" in page
    assert "/var/lib/lpic3/labs/351.1-cpu-virt-flags-" in page and "{{" not in page
    assert started.stdout.count("== student") == 4

    checked = instructor.lpic3("class", "lab", "check", LAB, "-i", inventory, "--json")
    assert checked.returncode == 1, checked.stderr  # nobody solved it
    rows = [json.loads(line) for line in checked.stdout.splitlines()]
    assert sorted(r["student"] for r in rows) == names
    assert all(r["status"] == "checked" and [c["id"] for c in r["checks"]] == CHECKS for r in rows)
    table = instructor.lpic3("class", "lab", "check", LAB, "-i", inventory, "--limit", "student12")
    assert table.returncode == 1
    lines = table.stdout.splitlines()
    assert lines[1].split() == ["student", "1", "2", "3", "result"]
    assert lines[2].split() == ["student12", "x", "x", "x", "0/3"]

    reports = {}
    curriculum, students = load_curriculum(instructor.tree), read_inventory(instructor.inventory)
    gradebook = Gradebook.open(instructor.home / "class.db")
    for kind in ("junit", "csv", "html", "json"):
        out = tmp_path / f"report.{kind}"
        made = instructor.lpic3("class", "report", LAB, "-i", inventory, "--format", kind, "-o", str(out))
        assert made.returncode == 0, made.stderr
        again = FORMATS[kind](class_report(curriculum, students, gradebook))  # every lab in the gradebook: LAB
        assert again == out.read_text(), f"{kind}: a second run says something else"
        reports[kind] = out.read_text()
    gradebook.close()
    suites = ElementTree.fromstring(reports["junit"])
    assert [s.get("name") for s in suites] == names
    student12 = next(s for s in suites if s.get("name") == "student12")
    assert [c.get("name") for c in student12] == CHECKS and student12.get("failures") == "3"
    failure = student12.find("testcase/failure")
    assert failure is not None and "expected" in failure.get("message", "") and "seen" in failure.get("message", "")
    attempts = student12.find("testcase/properties/property[@name='attempts']")
    assert attempts is not None and attempts.get("value") == "2"  # checked twice: --json, then --limit
    table_rows = list(csv.DictReader(io.StringIO(reports["csv"])))
    assert len(table_rows) == 12 and {r["result"] for r in table_rows} == {"fail"}
    assert {r["attempts"] for r in table_rows if r["student"] == "student11"} == {"1"}
    data = json.loads(reports["json"])
    assert [s["student"] for s in data["students"]] == names
    assert "<script" not in reports["html"] and "http" not in reports["html"].replace("http-equiv", "")
    assert reports["html"].count("class='fail'") == 12


def test_a_killed_check_loses_nothing_it_showed(
    instructor: Instructor, student_machines: Classroom, tmp_path: Path
) -> None:
    started = instructor.lpic3("class", "lab", "start", LAB, "-i", str(instructor.inventory), "--yes")
    assert started.returncode == 0, started.stderr
    hung = HangingServer()  # a machine that never answers keeps the check running until it is killed
    try:
        inventory = tmp_path / "with-hung.ini"
        inventory.write_text(
            instructor.inventory.read_text()
            + f"\n[stuck]\nhung ansible_host=127.0.0.1 ansible_port={hung.port} ansible_user=root\n"
        )
        check = instructor.popen("class", "lab", "check", LAB, "-i", str(inventory), "--timeout", "300")
        assert check.stdout is not None
        names, shown = {m.name for m in instructor.machines}, list[str]()
        while len(shown) < 4:
            line = check.stdout.readline()
            assert line, check.stderr.read() if check.stderr else ""
            if line.split()[0] in names:
                shown.append(line.split()[0])
        check.send_signal(signal.SIGKILL)
        check.wait(timeout=10)
    finally:
        hung.close()
    db = sqlite3.connect(instructor.home / "class.db")
    recorded = {row[0]: row[1] for row in db.execute("SELECT student, COUNT(*) FROM results GROUP BY student")}
    assert recorded == {name: 3 for name in shown}
    db.close()


def test_watch_rechecks_until_ctrl_c(instructor: Instructor) -> None:
    inventory = str(instructor.inventory)
    started = instructor.lpic3("class", "lab", "start", LAB, "-i", inventory, "--limit", "student11", "--yes")
    assert started.returncode == 0, started.stderr
    watch = instructor.popen("class", "lab", "check", LAB, "-i", inventory, "--limit", "student11", "--watch", "0.2")
    assert watch.stdout is not None and watch.stderr is not None
    rounds = 0
    while rounds < 3:
        line = watch.stdout.readline()
        assert line, watch.stderr.read()
        rounds += line.startswith("student11")
    watch.send_signal(signal.SIGINT)
    assert watch.wait(timeout=20 * load_factor()) == 130  # in-flight checks stop first: slower when loaded
    assert "every row shown is in the gradebook" in watch.stderr.read()
    db = sqlite3.connect(instructor.home / "class.db")
    (attempts,) = db.execute("SELECT MIN(attempts) FROM results WHERE student = 'student11'").fetchone()
    db.close()
    assert attempts >= 3


def test_bad_input_is_one_line(instructor: Instructor) -> None:
    inventory = str(instructor.inventory)
    cases = [
        (("class", "lab", "start", "no-such-lab", "-i", inventory, "--yes"), "no lab 'no-such-lab'"),
        (("class", "lab", "start", LAB, "-i", inventory), "add --yes"),
        (("class", "lab", "check", LAB, "-i", inventory, "--limit", "nobody"), "matches no host"),
        (("class", "lab", "start", LAB, "-i", inventory, "--yes", "--handout", "/proc/lpic3-no"), "--handout"),
        (("class", "report", "-i", inventory, "--format", "csv", "-o", "/nonexistent/dir/r.csv"), "cannot write"),
    ]
    for args, complaint in cases:
        done = instructor.lpic3(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and complaint in done.stderr, (args, done.stderr)
    assert (
        not (instructor.home / "class.db").exists()
        or not sqlite3.connect(instructor.home / "class.db").execute("SELECT * FROM attempts").fetchall()
    )
