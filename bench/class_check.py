"""Checking a 20-check lab on a whole class vs on one machine, side by side in one run.

The bar (classroom issue): ``lpic3 class lab check`` on 24 student machines takes at most twice as
long as on one, and the first row of the live table appears within 1 s. The student machines are
the test suite's (tests/student_machines.py: namespaces with their own sshd on this machine); the
lab is a synthetic one with 20 cheap checks (``file.exists`` / ``file.contains`` on the attempt's
folder) written to a temporary content tree. Each round checks one machine, then all 24, with the
connections already open (as in ``--watch`` or a TUI re-check), and once cold (new shells on the
kept-open ssh connections, as a second ``lpic3 class lab check`` command finds them).

Here the 24 machines' sshd and shells share this machine's cores with the instructor, which a class
of real machines does not: the report gives each side's CPU, the least time the class could take
on these cores (all of its CPU over every core), and the instructor's side alone.

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


def cpu_split(folder: Path, students: set[int]) -> tuple[float, float]:
    """CPU seconds used so far by the instructor's side and by the student machines.

    The instructor: this process, its descendants and the ssh clients and kept-open ssh masters of
    this run (their command lines name ``folder``; a master leaves the process tree), but not the
    student machines, which this process started too (``students``: their first processes). The
    students: those process trees (sshd, the shells, what the checks run). Processes that ended
    count in their parent's children's times, so each side's total is right to the clock tick."""
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
        times[int(entry)] = sum(int(value) for value in fields[11:15]) / tick  # own and reaped children's

    def tree(roots: set[int], stop: set[int]) -> set[int]:
        found, grew = set(roots), True
        while grew:
            more = {pid for pid, parent in parents.items() if parent in found} - found - stop
            found |= more
            grew = bool(more)
        return found

    theirs = tree(students, set())
    mine = tree({os.getpid()} | ssh, theirs)
    own = os.times()  # this process's own share, without the children it reaped (the machines' first processes)
    tree_times = sum(times.get(pid, 0.0) for pid in mine - {os.getpid()})
    return own.user + own.system + tree_times, sum(times.get(pid, 0.0) for pid in theirs)


Round = tuple[float, float, float, float]  # first row, last row (s), instructor CPU, students' CPU (s)


def timed_check(lab: ClassLab, folder: Path, students: set[int]) -> Round:
    """Seconds to the first row and to the last, and the CPU seconds each side used for the round."""
    began, first = time.perf_counter(), None
    mine, theirs = cpu_split(folder, students)
    for row in lab.run(CHECK):
        assert row.status == CHECKED and row.passed, (row.status, row.detail)
        first = first if first is not None else time.perf_counter() - began
    total = time.perf_counter() - began
    mine_after, theirs_after = cpu_split(folder, students)
    return first or 0.0, total, mine_after - mine, theirs_after - theirs


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
            firsts = {m.unshare.pid for m in room.machines if m.unshare is not None}
            report(
                "cold (new shells)",
                [timed_check(one, folder, firsts)],
                [timed_check(whole, folder, firsts)],
                len(students),
            )
            ones, alls = [], []
            for _ in range(options.rounds):  # side by side: one machine, then the class, each round
                ones.append(timed_check(one, folder, firsts))
                alls.append(timed_check(whole, folder, firsts))
            report("warm (open shells)", ones, alls, len(students))
            one.close(disconnect=True)
            whole.close(disconnect=True)
    finally:
        room.stop()
        shutil.rmtree(folder, ignore_errors=True)


def report(what: str, ones: list[Round], alls: list[Round], machines: int) -> None:
    """The medians, and the least time the class could take on this machine: all the CPU its round
    used (both sides: the student machines share these cores) spread over every core."""
    one, whole = (tuple(statistics.median(r[n] for r in rounds) for n in range(4)) for rounds in (ones, alls))
    cores = os.cpu_count() or 1
    floor = (whole[2] + whole[3]) / cores
    print(
        f"{what}: 1 machine {one[1]:.3f} s; the class {whole[1]:.3f} s ({whole[1] / one[1]:.1f}x, bar 2x); "
        f"first row {whole[0]:.2f} s (bar 1 s); median of {len(alls)}, load {os.getloadavg()[0]:.1f}\n"
        f"  CPU, instructor / students: 1 machine {one[2] * 1000:.0f} / {one[3] * 1000:.0f} ms, "
        f"the class {whole[2] * 1000:.0f} / {whole[3] * 1000:.0f} ms "
        f"({whole[2] * 1000 / machines:.1f} / {whole[3] * 1000 / machines:.1f} ms a machine)\n"
        f"  on {cores} cores the class can take no less than {floor:.3f} s = {floor / one[1]:.1f}x one machine; "
        f"the instructor's side alone, {whole[2] / cores:.3f} s = {whole[2] / cores / one[1]:.1f}x"
    )


if __name__ == "__main__":
    main()
