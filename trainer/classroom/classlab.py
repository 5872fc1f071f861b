"""One lab for a whole class: start, check, reset (and the reference solution) on every student's
machine at once, through the lab service.

Each student's machine is an ``ssh://`` target (``trainer.classroom.access``) with its own ``Lab``
of the lab service, so the class gets exactly what ``lpic3 lab`` does for one learner: the
requirements check, the lab's own reset and setup, every check with expected and seen. The fan-out
is a bounded pool of threads (``workers``); each machine's operation has its own time budget
(``timeout``): when it runs out, the operation's cancel event stops it within a tenth of a second
and the machine gets a row saying it did not answer. So a machine that is off, hung, shows another
host key or lacks what the lab needs is one row, and never holds up the others.

Connections: each ``Lab`` keeps its shell open between operations, and ssh's kept-open connection
(ControlMaster) outlives the command for two minutes, so ``--watch`` rounds and the next command
reuse them instead of logging in again.

Threads: the workers only talk to the machines. The gradebook is written by the thread that
iterates over ``run``'s rows, one transaction per machine before the row is handed out: what was
shown was saved. Parameters are drawn per student from a seed of its own (recorded), or from one
seed for all with ``same_params``.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from checkers.probes import PASS
from checkers.session import Interrupted
from trainer.classroom.access import NO_ANSWER, NOT_STARTED, ClassAccess, describe_failure
from trainer.classroom.gradebook import Attempt, Gradebook
from trainer.classroom.inventory import Student
from trainer.curriculum.model import Exercise
from trainer.errors import Lpic3Error
from trainer.labs.render import render
from trainer.labs.runner import CheckResult
from trainer.labservice import SEEDS, Lab
from trainer.study.store import LabAttempt, Store

START, CHECK, RESET, SOLVE = "start", "check", "reset", "solve"
STARTED, CHECKED, WAS_RESET, SOLVED = "started", "checked", "reset", "solved"
STOPPED = "stopped"  # the caller stopped the run (Ctrl-C, Escape) before this machine was done
TIMEOUT = 60.0  # seconds one machine may take for one operation (a start runs the lab's setup)
WORKERS = 8  # machines at once: rows come early (the first within a second for 24 here), the total is the same


@dataclass
class HostRow:
    """What one operation did on one student's machine."""

    student: Student
    status: str  # started, checked, reset, solved, or why not (unreachable, no answer, cannot run ...)
    detail: str = ""
    results: list[CheckResult] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    seconds: float = 0.0
    passed_at: float | None = None  # when the student first passed every check (from the gradebook)

    @property
    def ok(self) -> bool:
        return self.status in (STARTED, CHECKED, WAS_RESET, SOLVED)

    @property
    def passed(self) -> bool:
        return self.status == CHECKED and bool(self.results) and all(r.outcome == PASS for r in self.results)

    def to_json(self) -> dict[str, object]:
        return {
            "student": self.student.name,
            "target": self.student.spec,
            "status": self.status,
            "detail": self.detail,
            "passed": self.passed,
            "checks": [r.to_json() for r in self.results],
            "first_passed_at": self.passed_at,
            "seconds": round(self.seconds, 2),
        }


class ClassLab:
    """``exercise`` on every machine of ``students``. The instructor's consent to change the
    machines is the caller's to ask, once, before ``run(START | RESET | SOLVE)``."""

    def __init__(
        self,
        exercise: Exercise,
        students: Sequence[Student],
        gradebook: Gradebook,
        access: ClassAccess | None = None,
        timeout: float = TIMEOUT,
        workers: int = WORKERS,
    ) -> None:
        self.exercise, self.students, self.gradebook = exercise, list(students), gradebook
        self.access = access or ClassAccess()
        self.timeout, self.workers = timeout, max(1, workers)
        # The lab service's store half is not used: the class's attempts live in the gradebook.
        store = Store(gradebook.db, gradebook.path)
        self.labs = {s.name: Lab(exercise, self.access.target(s), store, lambda _what: True) for s in students}
        self._cancels: set[threading.Event] = set()
        self._cancels_lock = threading.Lock()
        self._halt = threading.Event()  # set by stop(): machines not yet begun are not begun

    def task(self, params: dict[str, str]) -> str:
        return render(self.exercise.task, params)

    def run(
        self, operation: str, same_params: bool = False, seed: int | None = None, only: Sequence[str] | None = None
    ) -> Iterator[HostRow]:
        """``operation`` on every machine (or those named in ``only``), all at once; the rows in the
        order the machines answer, each recorded in the gradebook before it is yielded."""
        self._halt.clear()
        chosen = [s for s in self.students if only is None or s.name in only]
        attempts = {s.name: self.gradebook.attempt(s.name, self.exercise.id) for s in chosen}
        seeds = _seeds(len(chosen), same_params, seed)
        with ThreadPoolExecutor(max_workers=min(self.workers, len(chosen) or 1)) as pool:
            futures: dict[Future[HostRow], Student] = {
                pool.submit(self._on_host, operation, s, attempts[s.name], seeds[n]): s for n, s in enumerate(chosen)
            }
            try:
                for future in as_completed(futures):
                    row = future.result()
                    self._record(operation, row)
                    yield row
            finally:  # interrupted (Ctrl-C, the generator closed): every machine's operation stops now
                self.stop()

    def stop(self) -> None:
        """Stop the run (from any thread): operations in flight end within a tenth of a second,
        machines not yet begun are not begun (their rows say stopped)."""
        self._halt.set()
        with self._cancels_lock:
            for cancel in self._cancels:
                cancel.set()

    def close(self, disconnect: bool = False) -> None:
        """Close every machine's shell; with ``disconnect`` also ssh's kept-open connections (left
        open otherwise, for the next command to reuse within two minutes)."""
        for lab in self.labs.values():
            lab.close()
            if disconnect:
                lab.target.disconnect()

    # -- one machine (a worker thread) ---------------------------------------------------------------
    def _on_host(self, operation: str, student: Student, attempt: Attempt | None, seed: int) -> HostRow:
        began = time.monotonic()
        if self._halt.is_set():
            return HostRow(student, STOPPED, "stopped before this machine was asked")
        cancel = threading.Event()
        timer = threading.Timer(self.timeout, cancel.set)
        with self._cancels_lock:
            self._cancels.add(cancel)
        timer.start()
        try:
            row = self._operate(operation, student, attempt, seed, cancel)
        except Interrupted:
            if self._halt.is_set():
                row = HostRow(student, STOPPED, "stopped on request")
            else:
                row = HostRow(
                    student, NO_ANSWER, f"no answer from {student.host}:{student.port} within {self.timeout:g} s"
                )
        except Lpic3Error as exc:
            row = HostRow(student, *describe_failure(exc, student, self.access))
        finally:
            timer.cancel()
            with self._cancels_lock:
                self._cancels.discard(cancel)
        row.seconds = time.monotonic() - began
        return row

    def _operate(
        self, operation: str, student: Student, attempt: Attempt | None, seed: int, cancel: threading.Event
    ) -> HostRow:
        lab = self.labs[student.name]
        self.access.first_contact(student, self.timeout)
        if operation == START:
            previous = None if attempt is None else _lab_attempt(attempt)
            setup = lab.set_up(seed, cancel, previous)
            return HostRow(student, STARTED, params=setup.values, seed=setup.seed)
        if attempt is None:
            return HostRow(
                student, NOT_STARTED, f"lab {self.exercise.id} was not started on this machine: lpic3 class lab start"
            )
        if operation == CHECK:
            return HostRow(student, CHECKED, results=lab.judge(attempt.params, cancel), params=attempt.params)
        if operation == RESET:
            lab.reset(attempt.params, cancel)
            return HostRow(student, WAS_RESET, params=attempt.params)
        if operation == SOLVE:
            lab.apply_solution(attempt.params, cancel)
            return HostRow(student, SOLVED, params=attempt.params)
        raise ValueError(f"unknown class lab operation {operation!r}")

    # -- the gradebook (the iterating thread) --------------------------------------------------------
    def _record(self, operation: str, row: HostRow) -> None:
        name, lab = row.student.name, self.exercise.id
        if row.status == STOPPED:  # nothing was learnt about the machine: its last state stands
            return
        if not row.ok:
            self.gradebook.record_host(name, lab, row.status, row.detail)
        elif operation == START and row.seed is not None:
            self.gradebook.record_start(name, lab, row.student.spec, row.params, row.seed)
        elif operation == CHECK:
            self.gradebook.record_checks(name, lab, [r.to_json() for r in row.results])
        elif operation == RESET:
            self.gradebook.record_reset(name, lab)
        attempt = self.gradebook.attempt(name, lab)
        row.passed_at = attempt.passed_at if attempt is not None else None


def _seeds(count: int, same_params: bool, seed: int | None) -> list[int]:
    """One seed per student: drawn at random, or all ``seed`` with ``same_params``; a given ``seed``
    without it draws each student's from it (the same class and seed give the same parameters)."""
    if same_params:
        shared = secrets.randbelow(SEEDS) if seed is None else seed
        return [shared] * count
    draw = random.Random(seed) if seed is not None else random.SystemRandom()
    return [draw.randrange(SEEDS) for _ in range(count)]


def _lab_attempt(attempt: Attempt) -> LabAttempt:
    """The lab service's view of a student's previous attempt (a new start resets it first)."""
    return LabAttempt(0, attempt.lab, attempt.target, attempt.params, attempt.started_at, 0, None, None, attempt.seed)
