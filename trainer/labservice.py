"""The lab service: what ``lpic3 lab ...`` and the TUI's lab screen do with a lab, in one place.

Both callers are thin: the CLI prints, the TUI shows. What they must never drift apart on lives here:
which target is the default (the sandbox VM when it is up, else this machine), the order of the
steps of every change (the requirements check, then consent, then the change), how parameters are
drawn (from a seed recorded with the attempt), that every check runs, and that a check that was not
judged never counts as a failed attempt.

Consent is the caller's: a function asked before a change to a machine that is not a throw-away
sandbox, with a sentence saying what will change; it says yes or no (the CLI asks on the terminal
or needs ``--yes``; the TUI shows a dialog).

Threads: a ``Lab`` keeps one shell session on its target (a ``Connection``), used by one operation
at a time; a second one is refused (``LabBusy``). Operations that talk to the target take a
``cancel`` event: another thread sets it, the operation stops within a tenth of a second, closes
the shell itself and raises ``checkers.session.Interrupted``. Operations on the progress store
(``attempt``, ``task``, ``next_hints``, ``record_start``, ``record_check``, ``solution``) belong to the
thread that owns the store; ``start`` and ``check`` are both halves in one call, for callers with
one thread. Errors are ``trainer.errors`` exceptions: ``TargetError`` when a lab cannot run there.

Layer: above ``trainer.labs`` (the engine), ``trainer.study`` (the store) and ``trainer.sandbox``,
below the CLI commands, the TUI and the classroom.
"""

from __future__ import annotations

import os
import random
import secrets
import shlex
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import TypeVar

from checkers import pace
from checkers.detect import Feature, detect
from checkers.netns import Holder, HolderError
from checkers.privdir import PrivateDirError, lab_root
from checkers.probes import NOT_JUDGED, PASS
from checkers.record import Recorder
from checkers.session import SessionError, ShellSession, local_argv
from checkers.targets import Target, parse_target, ssh_login_shell
from checkers.targets import TargetError as BadTarget
from trainer.curriculum.exercises import GIVEN, PLACEHOLDER, WORKDIR
from trainer.curriculum.model import Exercise
from trainer.errors import CANNOT_RUN, Lpic3Error, TargetError, UsageError
from trainer.labs.render import choose_params, preview, render, render_shell
from trainer.labs.runner import (
    CheckResult,
    ScriptFailed,
    ask_ahead,
    missing_requirements,
    outcome,
    run_check,
    run_script,
)
from trainer.labs.selftest import selftest
from trainer.sandbox.files import SandboxFiles
from trainer.sandbox.vm import reset as reset_sandbox
from trainer.sandbox.vm import running_pid, sandbox_target
from trainer.study.review import schedule_lab
from trainer.study.store import LabAttempt, LabAttempts, Store

Consent = Callable[[str], bool]
T = TypeVar("T")
# How much slower than this machine the sandbox VM answers: every command's budget is multiplied.
SEEDS = 1_000_000
LOGIN_SHELL = ("/bin/bash", "--login")  # the learner's shell in ``lpic3 lab shell``


class LabBusy(Lpic3Error):
    """The lab's shell is in use by another operation: one at a time."""

    exit_code = CANNOT_RUN


class NotConfirmed(TargetError):
    """The caller's consent said no: nothing was changed."""


def choose_target(spec: str | None = None) -> Target:
    """The target ``spec`` names; without one, the sandbox VM when it is up, else this machine."""
    files = SandboxFiles.default()
    if spec == "sandbox" or (spec is None and running_pid(files)):
        if not running_pid(files):
            raise TargetError("the sandbox VM is not running: `lpic3 sandbox up`")
        return sandbox_target(files)
    try:
        return parse_target(spec or "local")
    except BadTarget as exc:
        raise TargetError(str(exc)) from None


def time_scale(target: Target) -> float:
    """How much longer than on an idle machine commands may take on ``target``: longer on a loaded
    host, longer again in the sandbox VM under TCG, which emulates every instruction (the same
    figures as every other wait: ``checkers.pace``). ``LPIC3_TIME_SCALE`` multiplies it (a host
    slower than its load says)."""
    text = os.environ.get("LPIC3_TIME_SCALE", "1")
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if not 0 < scale < 1000:
        raise UsageError(f"LPIC3_TIME_SCALE must be a number above 0 (it multiplies time budgets), not {text[:40]!r}")
    if target.spec == "sandbox":
        scale *= pace.slowdown(str(SandboxFiles.default().state().get("accel")))
    return scale * pace.load_factor()


class Connection:
    """The shell session kept open on a target: opened on first use, used by one operation at a time,
    and closed only while nobody uses it (``close`` during an operation leaves it to that operation,
    which closes the shell as it lets go)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.session: ShellSession | None = None
        self._use = threading.Lock()  # held by the operation using the session
        self._state = threading.Lock()  # guards closing against an operation just ending
        self._closing = False

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def busy(self) -> bool:
        return self._use.locked()

    @contextmanager
    def use(self, cancel: threading.Event | None = None, target: Target | None = None) -> Iterator[ShellSession]:
        """The session, for one operation; ``cancel`` set by another thread stops its commands. With
        ``target`` (a netns attempt's holder, entered) the session is one on it, opened anew if the
        one kept was on another."""
        if not self._use.acquire(blocking=False):
            raise LabBusy(f"the shell on {self.target.description} is busy with another operation; wait or cancel it")
        try:
            if self._closing:
                raise TargetError(f"the shell on {self.target.description} was closed")
            if target is not None and target != self.target:
                self._close_session()
                self.target = target
            if self.session is None:
                self.session = self.target.session()
                self.session.time_scale = time_scale(self.target)
            self.session.cancel = cancel
            try:
                yield self.session
            except SessionError as exc:
                raise TargetError(str(exc)) from None
            finally:
                self.session.cancel = None
        finally:
            with self._state:
                if self._closing:
                    self._close_session()
                self._use.release()

    def close(self) -> None:
        """Close the session, from any thread: now when it is idle, else by the operation holding it
        as soon as it ends (set that operation's cancel event to make it end soon)."""
        with self._state:
            self._closing = True
            if self._use.acquire(blocking=False):
                try:
                    self._close_session()
                finally:
                    self._use.release()

    def _close_session(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


@dataclass(frozen=True, slots=True)
class Setup:
    """What a start drew: the parameter values and the seed they came from."""

    values: dict[str, str]
    seed: int


class Lab:
    """One exercise on one target, with the learner's attempts at it."""

    def __init__(self, exercise: Exercise, target: Target, store: Store, consent: Consent) -> None:
        self.exercise, self.target, self.consent = exercise, target, consent
        self.attempts = LabAttempts(store)
        self.connection = Connection(target)

    def close(self) -> None:
        """Close the shell (see ``Connection.close``: safe from any thread, also while in use)."""
        self.connection.close()

    # -- the progress store (the store owner's thread) ---------------------------------------------
    def attempt(self) -> LabAttempt | None:
        """The latest attempt at this lab on this target, if it was ever started and can still be
        used: one recorded by an older lpic3 or for an older version of the lab lacks values the lab
        now uses (``workdir`` and ``attempt`` came in with per-attempt folders), and counts as not started."""
        attempt = self.attempts.current(self.exercise.id, self.target.spec)
        needed = {*GIVEN, *(param.name for param in self.exercise.params)}
        return attempt if attempt is not None and needed <= attempt.params.keys() else None

    def started(self) -> LabAttempt:
        attempt = self.attempt()
        if attempt is None:
            raise TargetError(
                f"lab {self.exercise.id} was not started on {self.target.description}: "
                f"lpic3 lab start {self.exercise.id}{target_option(self.target)}"
            )
        return attempt

    def task(self) -> str:
        """The task with this attempt's values; before a start, with stand-ins and a word on them."""
        attempt = self.attempt()
        if attempt is not None:
            return render(self.exercise.task, attempt.params)
        text = preview(self.exercise.task)
        if PLACEHOLDER.search(self.exercise.task):
            text = (
                text.rstrip() + "\n\n(Names in angle brackets, such as <name>, get their values when the lab starts.)"
            )
        return text

    def next_hints(self) -> list[str]:
        """One more of the lab's hints than before, with the attempt's values; all shown so far."""
        attempt = self.started()
        if not self.exercise.hints:
            return []
        shown = min(self.attempts.next_hint(attempt.id), len(self.exercise.hints))
        return [render(text, attempt.params) for text in self.exercise.hints[:shown]]

    def solution(self) -> str:
        return render_shell(self.exercise.solution, self.started().params).rstrip()

    def record_start(self, setup: Setup) -> LabAttempt:
        """The new attempt recorded; on netns the attempt it replaces is finished: its holder goes."""
        previous = self.attempt()
        attempt = self.attempts.start(self.exercise.id, self.target.spec, setup.values, setup.seed)
        holder = None if previous is None else self._holder(previous.params)
        if holder is not None and previous is not None:
            _stop(holder, previous.params)
        return attempt

    def record_check(self, attempt: LabAttempt, results: Sequence[CheckResult]) -> str:
        """Record a run of checks and return its outcome. A run that was not judged is not recorded:
        a timeout says nothing about the learner's work, so the attempt keeps its last verdict. The
        attempt's first pass schedules the lab's spaced review (sooner when hints were used)."""
        verdict = outcome(list(results))
        if verdict != NOT_JUDGED:
            self.attempts.record_check(attempt.id, verdict == PASS, [r.to_json() for r in results])
        if verdict == PASS and attempt.passed is not True:
            schedule_lab(self.attempts.store, self.exercise.id, attempt.hints)
        return verdict

    # -- the target (any one thread at a time) -----------------------------------------------------
    def set_up(
        self, seed: int | None = None, cancel: threading.Event | None = None, previous: LabAttempt | None = None
    ) -> Setup:
        """Requirements, consent, then the lab's reset and setup with values drawn from ``seed``.

        ``previous`` (the attempt this start replaces, read by the caller on the store's thread) is
        reset first with its own values: every attempt has its own working folder, records and
        names, so a reset with the new values alone would leave the old attempt's processes and
        files behind. Its reset failing (the learner may have broken what it removes) does not stop
        the new start: the new attempt's reset and setup follow and say so if the lab is broken."""
        seed = secrets.randbelow(SEEDS) if seed is None else seed
        holder = _holder_start() if self.target.kind == "netns" else None
        values: dict[str, str] = {}
        try:
            with self.connection.use(
                cancel, self.target if holder is None else _entered(self.target, holder)
            ) as session:
                self._may_change(session, f"Starting lab {self.exercise.id} runs its setup")
                values = choose_params(self.exercise, random.Random(seed), _lab_root(session))
                if holder is not None:
                    _holder_call(holder.save, _holder_key(values))
                if previous is not None:
                    with suppress(ScriptFailed):
                        run_script(session, "reset", self.exercise.reset, previous.params)
                self._script(session, "reset", self.exercise.reset, values)
                self._script(session, "setup", self.exercise.setup, values)
        except BaseException:
            if holder is not None:  # a start that did not finish leaves no namespaces behind
                with suppress(TargetError):  # the error that stopped the start is the one to report
                    _stop(holder, values)
            raise
        return Setup(values, seed)

    def judge(
        self,
        values: dict[str, str],
        cancel: threading.Event | None = None,
        each: Callable[[CheckResult], object] | None = None,
        explain: bool = False,
    ) -> list[CheckResult]:
        """Every check (after the requirements check), in order; ``each`` hears of each result. With
        ``explain`` each result carries the commands its check ran and what they returned."""
        results = []
        with self.connection.use(cancel, self._where(values)) as session:
            self._requirements(session)
            # explained: each command live, so the time shown is its own
            shells = (
                [session for _ in self.exercise.checks] if explain else ask_ahead(session, self.exercise.checks, values)
            )
            for check, shell in zip(self.exercise.checks, shells, strict=True):
                if explain:
                    recorder = Recorder(shell)
                    result = replace(run_check(recorder, check, values), commands=recorder.take())
                else:
                    result = run_check(shell, check, values)
                results.append(result)
                if each is not None:
                    each(result)
        return results

    def reset(self, values: dict[str, str], cancel: threading.Event | None = None) -> None:
        """The lab's own reset: what the lab and the learner made is removed. On netns the attempt's
        holder goes too (its namespaces with it); when it is gone already, the reset runs in fresh
        namespaces, which still removes the attempt's files."""
        holder = self._holder(values)
        where = _entered(self.target, holder) if holder is not None and holder.alive() else self.target
        with self.connection.use(cancel, where) as session:
            self._may_change(session, f"Resetting lab {self.exercise.id} removes what the lab and you made")
            self._script(session, "reset", self.exercise.reset, values)
        if holder is not None:
            _stop(holder, values)

    def apply_solution(self, values: dict[str, str], cancel: threading.Event | None = None) -> None:
        with self.connection.use(cancel, self._where(values)) as session:
            self._may_change(session, f"Applying the solution of lab {self.exercise.id} runs it")
            self._script(session, "solution", self.exercise.solution, values)

    def reset_machine(self, say: Callable[[str], None]) -> float:
        """The sandbox's own reset instead of the lab's: the overlay is dropped, so everything done in
        the VM (by the lab, the learner or anything else) is gone. Returns the seconds it took."""
        if self.target.spec != "sandbox":
            raise TargetError(f"a machine reset resets lpic3's sandbox VM, and the target is {self.target.description}")
        with self.connection.use() as session:
            session.close()  # its SSH connection ends with the VM; the next command opens a new one
            return reset_sandbox(SandboxFiles.default(), say)

    # -- the steps every change takes, in this order -----------------------------------------------
    def _requirements(self, session: ShellSession) -> None:
        missing = missing_requirements(self.exercise, session)
        if missing:
            raise TargetError(
                f"{self.exercise.id} cannot run on {self.target.description} because " + "; ".join(missing)
            )

    def _may_change(self, session: ShellSession, what: str) -> None:
        self._requirements(session)
        ask_consent(self.target, what, self.consent)

    def _script(self, session: ShellSession, name: str, script: str, values: dict[str, str]) -> None:
        try:
            run_script(session, name, script, values)
        except ScriptFailed as exc:
            raise TargetError(f"the lab's {exc}") from None

    # -- the netns target: the attempt's namespaces, kept by a holder process ----------------------
    def _holder(self, values: dict[str, str]) -> Holder | None:
        """The holder recorded for the attempt with ``values`` (netns only), alive or not."""
        if self.target.kind != "netns" or WORKDIR not in values:
            return None
        return _holder_call(Holder.load, _holder_key(values))

    def _live_holder(self, values: dict[str, str]) -> Holder:
        """The netns attempt's holder, checked to be the very process recorded (PID and start time)."""
        holder = self._holder(values)
        if holder is None or not holder.alive():
            raise TargetError(
                f"the namespaces of lab {self.exercise.id}'s attempt on netns are gone (reset, ended, or the "
                f"machine restarted): lpic3 lab start {self.exercise.id} --target netns"
            )
        return holder

    def _where(self, values: dict[str, str]) -> Target:
        """Where the attempt with ``values`` runs: on netns its own namespaces (its holder entered),
        else the lab's target."""
        if self.target.kind != "netns":
            return self.target
        return _entered(self.target, self._live_holder(values))

    def login_shell(self) -> tuple[list[str], str | None]:
        """An interactive login shell for the learner where the started attempt runs, in its working
        folder (``lpic3 lab shell``): the command, and the local folder to start it in (None: the
        command goes there itself). local: bash here; netns: bash inside the attempt's namespaces;
        ssh and the sandbox VM: ssh with a terminal."""
        values = self.started().params
        workdir = values.get(WORKDIR)
        if not workdir:
            raise TargetError(f"this attempt at lab {self.exercise.id} has no working folder: start it again")
        if self.target.kind == "netns":
            return self._live_holder(values).argv(LOGIN_SHELL, directory=workdir), None
        if self.target.kind == "ssh":
            return ssh_login_shell(self.target, workdir), None
        if not os.path.isdir(workdir):
            raise TargetError(
                f"the working folder {workdir} of lab {self.exercise.id} is gone (a reset removes it): "
                f"lpic3 lab start {self.exercise.id}{target_option(self.target)}"
            )
        return list(LOGIN_SHELL), workdir

    # -- both halves, for callers with one thread (the CLI) ----------------------------------------
    def start(self, seed: int | None = None) -> LabAttempt:
        return self.record_start(self.set_up(seed, previous=self.attempt()))

    def check(self, explain: bool = False) -> tuple[list[CheckResult], str]:
        """Every check on the started attempt, recorded; the results and their outcome."""
        attempt = self.started()
        results = self.judge(attempt.params, explain=explain)
        return results, self.record_check(attempt, results)


def ask_consent(target: Target, what: str, consent: Consent) -> None:
    """A change to a machine that is not a throw-away sandbox needs a yes."""
    if target.sandbox:
        return
    if not consent(f"{what} on {target.description}, which is not a throw-away sandbox"):
        raise NotConfirmed("not confirmed: nothing was changed")


def target_option(target: Target) -> str:
    """The ``--target`` option that names ``target`` in a command ('' for this machine)."""
    return "" if target.spec == "local" else f" --target {target.spec}"


def passed_labs(store: Store) -> set[str]:
    """The labs the learner has passed at least once, on any target."""
    return LabAttempts(store).passed_exercises()


def features(target: Target) -> dict[str, Feature]:
    """Every lab feature probed on ``target`` (``lpic3 doctor``)."""
    with Connection(target) as connection, connection.use() as session:
        return detect(session)


def self_test(
    target: Target, exercises: Sequence[Exercise], consent: Consent, seed: int | None = None
) -> list[dict[str, object]]:
    """The self-test of each exercise on ``target`` (``lpic3 lab selftest``): one report each, with
    ``ok`` None and the reason when the target lacks what the lab needs."""
    reports: list[dict[str, object]] = []
    with Connection(target) as connection, connection.use() as session:
        ask_consent(
            target, f"The self-test of {len(exercises)} lab(s) runs their setups, wrong answers and solutions", consent
        )
        available = detect(session)
        root = _lab_root(session)
        for exercise in exercises:
            missing = [f"{n}: {available[n].reason}" for n in exercise.requires if not available[n].available]
            if missing:
                reports.append({"exercise": exercise.id, "ok": None, "skipped": "; ".join(missing)})
                continue
            values = choose_params(exercise, random.Random(seed), root)
            reports.append(selftest(exercise, session, values).to_json() | {"params": values})
    return reports


def _holder_key(values: dict[str, str]) -> str:
    """A netns attempt's holder is recorded under the name of the attempt's own working folder."""
    return os.path.basename(values.get(WORKDIR, ""))


def _holder_call(step: Callable[..., T], *args: object) -> T:
    """A step of a holder's life; its failure is a TargetError."""
    try:
        return step(*args)
    except HolderError as exc:
        raise TargetError(str(exc)) from None


def _holder_start() -> Holder:
    return _holder_call(Holder.start)


def _stop(holder: Holder, values: dict[str, str]) -> None:
    """The attempt with ``values`` is finished: its holder ends and its record goes."""
    _holder_call(holder.stop)
    _holder_call(Holder.forget, _holder_key(values))


def _entered(target: Target, holder: Holder) -> Target:
    """``target`` with its shells entering ``holder``'s namespaces."""
    return replace(target, argv=tuple(holder.argv(local_argv())))


def _lab_root(session: ShellSession) -> str:
    """The target's private folder for lab attempts (made on first use). Labs may put ``{{workdir}}``
    anywhere in shell text, quoted or not, so its path must need no quoting."""
    try:
        root = lab_root(session)
    except PrivateDirError as exc:
        raise TargetError(str(exc)) from None
    if shlex.quote(root) != root:
        raise TargetError(f"the folder for lab attempts on the target, {root!r}, holds blanks or shell characters")
    return root
