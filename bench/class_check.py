"""Checking a 20-check lab on a whole class vs on one machine, side by side in one run.

The bar (classroom issue): ``lpic3 class lab check`` on 24 student machines takes at most twice as
long as on one, and the first row of the live table appears within 1 s. The student machines are
the test suite's (tests/student_machines.py: namespaces with their own sshd on this machine); the
lab is a synthetic one with 20 cheap checks (``file.exists`` / ``file.contains`` on the attempt's
folder) written to a temporary content tree. Each round checks one machine, then all 24, with the
connections already open (as in ``--watch`` or a TUI re-check), and once cold (new shells on the
kept-open ssh connections, as a second ``lpic3 class lab check`` command finds them).

    python bench/class_check.py [--machines 24] [--rounds 5] [--workers 16]    (root: it builds the machines)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.student_machines import start_classroom
from trainer.classroom.access import ClassAccess
from trainer.classroom.classlab import CHECK, CHECKED, START, WORKERS, ClassLab
from trainer.classroom.gradebook import Gradebook
from trainer.classroom.inventory import read_inventory
from trainer.curriculum.loader import load_curriculum

CHECKS = 20


def lab_text() -> str:
    checks = []
    for n in range(CHECKS):
        probe, args = (
            ("file.exists", f'{{path: "{{{{workdir}}}}/f{n}"}}')
            if n % 2
            else ("file.contains", f'{{path: "{{{{workdir}}}}/f{n}", pattern: "^{n}$"}}')
        )
        checks.append(f"  - id: c{n:02d}\n    probe: {probe}\n    args: {args}\n    hint: make f{n}\n")
    return (
        "id: 351.1-twenty-checks\nobjective: '351.1'\ntitle: Twenty cheap checks\nterms: [CPU flags]\n"
        "difficulty: 1\nrequires: []\ntask: Make files f0 to f19 in {{workdir}}.\n"
        "setup: |\n  for n in $(seq 0 19); do echo $n > {{workdir}}/f$n; done\n"
        "checks:\n" + "".join(checks) + "solution: 'true'\nreset: 'true'\n"
        "wrong_answers:\n  - name: one file gone\n    script: rm {{workdir}}/f1\n    fails: [c01]\n"
    )


def instructor_cpu(folder: Path) -> float:
    """CPU seconds used so far by this process, its descendants and the ssh clients and kept-open
    ssh masters of this run (their command lines name ``folder``; a master leaves the process tree):
    the instructor machine's work. The student machines' sshd and shells run on this machine too,
    but in a class they are the students' own computers, so the instructor's side is what has to scale."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ssh: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            is_ssh = Path(f"/proc/{entry}/comm").read_text().strip() == "ssh"
            if is_ssh and os.fsencode(folder) in Path(f"/proc/{entry}/cmdline").read_bytes():
                ssh.add(int(entry))
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    mine, grew = {os.getpid()} | ssh, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in mine} - mine
        mine |= more
        grew = bool(more)
    return sum(times.get(pid, 0.0) for pid in mine)


def timed_check(lab: ClassLab, folder: Path) -> tuple[float, float, float]:
    """Seconds to the first row and to the last, and the instructor's CPU seconds for the round."""
    began, first, cpu = time.perf_counter(), None, instructor_cpu(folder)
    for row in lab.run(CHECK):
        assert row.status == CHECKED and row.passed, (row.status, row.detail)
        first = first if first is not None else time.perf_counter() - began
    return first or 0.0, time.perf_counter() - began, instructor_cpu(folder) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=WORKERS, help=f"machines checked at once (default {WORKERS})")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lpic3-bench-class-"))
    os.environ["LPIC3_HOME"] = str(folder / "home")
    (folder / "tree" / "exercises" / "351.1").mkdir(parents=True)
    (folder / "tree" / "content").mkdir()
    (folder / "tree" / "exercises" / "351.1" / "twenty.yaml").write_text(lab_text())
    curriculum = load_curriculum(folder / "tree")
    assert len(curriculum.exercises) == 1, [p.message for p in curriculum.problems]
    (exercise,) = curriculum.exercises
    began = time.perf_counter()
    room = start_classroom(options.machines, folder / "room")
    print(f"{options.machines} student machines built in {time.perf_counter() - began:.1f} s")
    try:
        students = read_inventory(room.inventory(folder / "class.ini"))
        with Gradebook.open(folder / "class.db") as gradebook:
            access = ClassAccess(folder / "class")
            whole = ClassLab(exercise, students, gradebook, access, workers=options.workers)
            began = time.perf_counter()
            assert all(r.status == "started" for r in whole.run(START))
            print(f"lab started on {len(students)} machines in {time.perf_counter() - began:.1f} s")
            whole.close()  # the shells go; ssh's kept-open connections stay, as between two commands
            one = ClassLab(exercise, students[:1], gradebook, access)
            whole = ClassLab(exercise, students, gradebook, access, workers=options.workers)
            report("cold (new shells)", [timed_check(one, folder)], [timed_check(whole, folder)])
            ones, alls = [], []
            for _ in range(options.rounds):  # side by side: one machine, then the class, each round
                ones.append(timed_check(one, folder))
                alls.append(timed_check(whole, folder))
            report("warm (open shells)", ones, alls)
            one.close(disconnect=True)
            whole.close(disconnect=True)
    finally:
        room.stop()
        shutil.rmtree(folder, ignore_errors=True)


def report(what: str, ones: list[tuple[float, float, float]], alls: list[tuple[float, float, float]]) -> None:
    one_total = statistics.median(t for _, t, _ in ones)
    all_total = statistics.median(t for _, t, _ in alls)
    all_first = statistics.median(f for f, _, _ in alls)
    one_cpu = statistics.median(c for _, _, c in ones)
    all_cpu = statistics.median(c for _, _, c in alls)
    print(
        f"{what}: 1 machine {one_total:.2f} s; the class {all_total:.2f} s "
        f"({all_total / one_total:.1f}x, bar 2x); first row {all_first:.2f} s (bar 1 s); "
        f"instructor CPU {one_cpu * 1000:.0f} ms for 1, {all_cpu * 1000:.0f} ms for the class; "
        f"median of {len(alls)}, load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
