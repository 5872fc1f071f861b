"""A shell session on a lab target, driven by pexpect: opened once, reused for every command.

The shell is a ``bash -s`` on a pty with echo off, started with nothing of the caller's
environment (``spawn_env``; then ``env -i``) but a PATH of the distribution's own directories and
``LC_ALL=C``: no prompt, no rc files, no aliases, functions, ``BASH_ENV``, ``LD_PRELOAD`` or PATH of
the learner, no locale surprises. On opening, the session finds the real tools checks run and pins
them (``checkers.tools``: root's own files, never a wrapper); a command whose tool is missing or not
trusted, or any command while ``/etc/ld.so.preload`` is set, comes back ``refused`` with the reason.

Each command is sent as ``eval '<quoted text>'`` in a subshell with stdin from /dev/null (so it
cannot eat the protocol), followed by an end marker that carries the exit status and a fresh random
token (``_marker_printf``). A shell that reads a pipe (behind ssh) gets each text with its byte count
first and reads it in one ``read -N`` (``_transmit``); control characters in a command go as escapes,
so the terminal's line mode cannot change a command or its count (``_quoted``).

Time: a command that overruns its timeout comes back ``timed_out`` (status 124, which says nothing
about the state: probes turn it into "not judged") and the session is restarted on the next
command. Timeouts are sized for an unloaded machine and multiplied by ``time_scale`` for a slow
target (the sandbox VM under TCG); the shell's start never gets less than ``START_TIMEOUT``.

A session belongs to one thread at a time; another thread stops it by setting the ``cancel`` event
it was given: the owner sees it within ``POLL`` seconds, closes the shell itself and raises
``Interrupted``, so a pty is never closed under a running command.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pexpect

from checkers.kernelfiles import CLOSE_PIPES, start_command
from checkers.shell import CLEAN_ENV, COMMAND_TIMEOUT, SCRIPT_TIMEOUT, CommandResult
from checkers.tools import NOT_FOUND_HANDLER, Tool, find_command, judge, namei_command, pin_command

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>]")
START_TIMEOUT = 15.0
CLOSE_SECONDS = 10.0  # for a killed shell to be reaped on a loaded machine (ptyprocess waits 0.1 s)
_TERMINAL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control characters but tab and newline
POLL = 0.1  # seconds between looks at the cancel event while a command runs
# Of the caller's environment only what the ssh client needs to reach the learner's agent; nothing
# else (LD_PRELOAD, LD_LIBRARY_PATH, BASH_ENV, exported functions ...) reaches even the process that
# starts the shell (env, unshare, runuser, ssh).
KEPT_ENV = ("HOME", "SSH_AUTH_SOCK")
PRELOAD = "/etc/ld.so.preload"  # non-empty: every program the target starts loads what it names


Request = tuple[str, float, bool]  # what ``run_many`` runs: (command, timeout, merge), as ``run`` takes them
# Command text per write of ``run_many``. A write is made only when every answer to the one before
# was read, so the pty's input queue is empty, and it must fit there whole (Linux: 4 KiB of n_tty
# line buffer before the pty's own 8 KiB): a write that blocks while a command's output fills the
# other direction unread would wait for ever.
BATCH_BYTES = 3500


@dataclass(frozen=True, slots=True)
class _Pending:
    """A command sent (or about to be) and what its answer will be known by."""

    command: str
    token: str
    budget: float  # seconds, already scaled for the target
    stderr_file: bool
    text: str


def _marker_printf(name: str, value: str, token: str) -> str:
    """The command that prints a marker: ``name``, the shell value ``value``, then ``=`` and the token,
    with no line end (the next command's output may follow at once; nothing reads by lines). The
    token is printed from two pieces, so the text sent can never match it even if a terminal echoed
    it; the last ``name`` before the token ends the output, so a command that prints ``name``
    itself cannot move it."""
    half = len(token) // 2
    return f"printf '%s%s=%s%s' {name} \"{value}\" {token[:half]} {token[half:]}"


def _quoted(text: str) -> str:
    """``text`` as one shell word that holds no character the terminal would act on (erase, kill,
    interrupt, end of file, a carriage return ...): ``shlex.quote``, or ANSI-C quoting (``$'...'``)
    with those characters written as escapes when ``text`` has any."""
    if not _TERMINAL_CHARS.search(text):
        return shlex.quote(text)
    return "$'" + "".join(f"\\x{ord(c):02x}" if _TERMINAL_CHARS.match(c) or c in "\\'" else c for c in text) + "'"


def _in_subshell(command: str, merge: bool) -> str:
    """``command`` as ``ShellSession.run`` runs it: in a subshell, stdin from /dev/null, output on fd 3."""
    quoted = _quoted(command)
    if merge:
        return f"( eval {quoted}\n) </dev/null >&3 2>&1; __lpic3_s=$?"
    return f'( eval {quoted}\n) </dev/null >&3 2>"$__lpic3_err"; __lpic3_s=$?'


class SessionError(Exception):
    """The target's shell could not be started or stopped answering."""


class Interrupted(Exception):
    """The command was abandoned because the session's ``cancel`` event was set; the shell was closed."""


def clean_output(text: str) -> str:
    """Terminal noise removed: carriage returns, colours, bracketed-paste and title sequences."""
    return _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", ""))


class ShellSession:
    """A persistent shell. ``argv`` starts it (local bash, ``ssh ... bash``, ``unshare ... bash``)."""

    def __init__(
        self, argv: Sequence[str], description: str, start_timeout: float = START_TIMEOUT, time_scale: float = 1.0
    ) -> None:
        self.argv, self.description, self.start_timeout = list(argv), description, start_timeout
        self.time_scale = time_scale
        self.cancel: threading.Event | None = None  # set by another thread: abandon the command in flight
        self.child: pexpect.spawn[str] | None = None
        self.commands = 0
        self.tools: dict[str, Tool] = {}  # the real tools, found and judged when the shell opened
        self.path_problem = ""  # why SYSTEM_PATH's own folders are not root's alone ("" when they are)
        self.kernel_view = ""  # "fresh", or "none: <why>": how checks read /proc and /sys (checkers.kernelfiles)
        self.counted = False  # text is sent with its byte count first (``_transmit``): the shell reads a pipe

    def __enter__(self) -> ShellSession:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        if self.child is not None and self.child.isalive():
            return
        try:
            self.child = pexpect.spawn(
                self.argv[0],
                self.argv[1:],
                echo=False,
                encoding="utf-8",
                codec_errors="replace",
                timeout=self.start_timeout * max(self.time_scale, 1.0),
                dimensions=(50, 500),
                env=spawn_env(),
            )
        except pexpect.ExceptionPexpect as exc:
            raise SessionError(f"cannot start a shell on {self.description}: {exc}") from None
        self.child.delaybeforesend = None  # pexpect waits 50 ms before each send by default
        token = secrets.token_hex(6)
        # A pty makes bash interactive: no prompts, no history expansion (!), no job control, no aliases.
        # $__lpic3_t collects the names of tools refused or not found while a command runs (checkers.tools).
        self.child.sendline(
            "PS1= PS2= PROMPT_COMMAND=; set +H +m; unalias -a; "
            "__lpic3_err=$(mktemp /tmp/lpic3-stderr.XXXXXX); __lpic3_t=$(mktemp /tmp/lpic3-tools.XXXXXX); "
            'trap \'rm -f "$__lpic3_err" "$__lpic3_t"\' EXIT; '
            f"exec 3> >(exec cat); {NOT_FOUND_HANDLER}; "
            f"if [ -t 0 ]; then __lpic3_in=terminal; else __lpic3_in=pipe; fi; "
            f"{_marker_printf('__LPIC3_READY_', '$__lpic3_in', token)}\n"
        )
        budget = self.start_timeout * max(self.time_scale, 1.0)
        try:
            answered = self._wait_marker("__LPIC3_READY_", token, budget)
        except pexpect.EOF:
            answered = None
        self.counted = answered is not None and answered[1] == "pipe"
        if answered is None:
            seen = clean_output(self.child.before or "").strip()[-300:]
            self.close()
            raise SessionError(
                f"no shell answered on {self.description} within {budget:g} s" + (f": {seen}" if seen else "")
            )
        self._pin_tools(budget)
        # Started with the pinned tools: one helper with a fresh /proc, /sys and cgroups for checks to read.
        view = self._send(start_command(budget * 0.8), "open the kernel view", budget)
        if view.timed_out:
            raise SessionError(f"the shell on {self.description} did not start its kernel view within {budget:g} s")
        self.kernel_view = view.output.strip()

    def _pin_tools(self, budget: float) -> None:
        """Find the real tools, judge who may change them, and make the shell run only those (three
        round trips when the shell opens, none per command)."""
        found = self._setup_step(find_command(), "find the real tools", budget).split()
        namei = next((path for path in found if path.rsplit("/", 1)[-1] == "namei"), None)
        listing = self._setup_step(namei_command(namei, found), "read their owners", budget) if namei else None
        self.tools, self.path_problem = judge(found, listing)
        self._setup_step(pin_command(self.tools.values()), "pin the real tools", budget)

    def _setup_step(self, text: str, what: str, budget: float) -> str:
        """Run ``text`` in the session's own shell (not a subshell: what it defines stays); its output."""
        result = self._send(f"{text}\n__lpic3_s=$?", what, budget)
        if result.timed_out or result.status != 0:  # a timeout already closed the shell
            self.close()
            raise SessionError(
                f"the shell on {self.description} could not {what}: {result.output.strip()[-300:] or 'no answer'}"
            )
        return result.output

    def refusal(self, names: list[str]) -> str:
        """Why a command whose run noted ``names`` (tools refused or not found, or PRELOAD) cannot be
        judged ("" when it can)."""
        reasons = [self.path_problem and f"the system's own folders are not root's alone: {self.path_problem}"]
        for name in dict.fromkeys(names):
            reasons.append(f"{PRELOAD} is set" if name == PRELOAD else self.tools.get(name, Tool(name)).refusal)
        return "; ".join(r for r in reasons if r)

    def close(self) -> None:
        """End the shell. ptyprocess gives it 0.1 s to go after SIGKILL and then raises; on a loaded
        machine the kernel may take longer to reap it, so wait for that (bounded) instead."""
        child, self.child = self.child, None
        if child is None:
            return
        try:
            child.close(force=True)
        except pexpect.ExceptionPexpect:
            gone_by = time.monotonic() + CLOSE_SECONDS
            while child.isalive() and time.monotonic() < gone_by:
                time.sleep(0.05)

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT, merge: bool = True) -> CommandResult:
        """Run ``command`` (any shell text, several lines allowed) in a subshell, so that neither ``exit``
        nor ``cd`` nor an alias can change the session. Its output goes to fd 3, a pipe to one
        long-lived ``cat``, so tools format it as in a script (no columns or colours for a
        terminal) without a new process per command. stdout and stderr come together, or with
        ``merge=False`` apart (stderr through a file, copied back by a shell builtin loop)."""
        return self._send(_in_subshell(command, merge), command, self._scaled(timeout), fd=3, stderr_file=not merge)

    def run_many(self, requests: Sequence[Request]) -> list[CommandResult | None]:
        """Run several commands as ``run`` would, in order, sent in writes of about ``BATCH_BYTES``
        instead of one round trip each: a lab of 20 checks costs a few waits, not 20 (a class of 24
        machines, hundreds fewer). Each command keeps its own end marker, timeout and result. A
        command that times out closes the shell as ``run`` does; the ones after it come back
        ``None`` (not run: ask again)."""
        self._stop_if_cancelled()
        self.open()
        results: list[CommandResult | None] = []
        batches: list[list[_Pending]] = [[]]
        for command, timeout, merge in requests:
            wrapped = self._wrap(_in_subshell(command, merge), command, self._scaled(timeout), 3, not merge)
            if batches[-1] and sum(len(p.text.encode()) for p in [*batches[-1], wrapped]) > BATCH_BYTES:
                batches.append([])
            batches[-1].append(wrapped)
        for batch in batches:
            if self.child is not None and batch:  # None: a timeout closed the shell, the rest are not run
                self._transmit("".join(p.text for p in batch))
            results += [self._collect(p) if self.child is not None else None for p in batch]
        return results

    def run_script(self, script: str, timeout: float = SCRIPT_TIMEOUT) -> CommandResult:
        """Run a script in a subshell with ``set -e``: its ``cd``, ``exit`` or failure end there.
        (Straight to the terminal: a script may leave a daemon running, which would hold a pipe; nor
        does it get the pipes to the kernel view, which a daemon would keep alive.)"""
        return self._send(
            f"( set -e; eval {_quoted(script)}\n) </dev/null 2>&1 {CLOSE_PIPES}; __lpic3_s=$?",
            script,
            self._scaled(timeout),
        )

    def _transmit(self, text: str) -> None:
        """Send ``text`` for the shell to run. A shell that reads a pipe (ssh's, on the far side) reads
        its commands a byte at a time, so as not to read past one: one system call per byte, 9,000
        for a 20-check lab. It gets a count and then the text, which it takes in with one
        ``read -N`` (a few reads) and runs with ``eval``. The count is of bytes: the shell's locale
        is C (``CLEAN_ENV``), and the text holds no character the terminal would act on
        (``_quoted``). A shell on the terminal itself reads a line per call already (there the
        ``read`` builtin would read a byte at a time), so it gets the text as it is."""
        assert self.child is not None
        if self.counted:
            text = f'IFS= read -r -N {len(text.encode())} __lpic3_b && eval "$__lpic3_b"\n{text}'
        self.child.send(text)

    def _scaled(self, timeout: float) -> float:
        """A command's budget on this target: ``timeout`` is sized for an unloaded machine."""
        return timeout * self.time_scale

    def _send(self, wrapped: str, command: str, budget: float, fd: int = 1, stderr_file: bool = False) -> CommandResult:
        """Run ``wrapped``, waiting at most ``budget`` seconds (already scaled: the shell's own start
        steps get the start budget, not the start budget scaled twice)."""
        self._stop_if_cancelled()
        self.open()
        assert self.child is not None
        pending = self._wrap(wrapped, command, budget, fd, stderr_file)
        self._transmit(pending.text)
        return self._collect(pending)

    def _wrap(self, wrapped: str, command: str, budget: float, fd: int, stderr_file: bool) -> _Pending:
        """The text that runs ``wrapped`` and then prints its end marker (with a fresh token)."""
        token = secrets.token_hex(8)
        if stderr_file:
            wrapped += (
                f"; printf '%s%s\\n' __LPIC3_ERR_ {token} >&3; "
                'while IFS= read -r __l || [ -n "$__l" ]; do printf \'%s\\n\' "$__l"; done <"$__lpic3_err" >&3'
            )
        # What the command could not be trusted with: two stat calls, no process, when there is nothing.
        wrapped += (
            f"; if [ -s {PRELOAD} ] || [ -s \"$__lpic3_t\" ]; then printf '%s%s\\n' __LPIC3_REFUSED_ {token}; "
            f"[ -s {PRELOAD} ] && printf '%s\\n' {PRELOAD}; "
            'while IFS= read -r __l || [ -n "$__l" ]; do printf \'%s\\n\' "$__l"; done <"$__lpic3_t"; '
            f': >"$__lpic3_t"; fi >&{fd}'
        )
        text = f"{wrapped}\n{_marker_printf('__LPIC3_END_', '$__lpic3_s', token)} >&{fd}\n"
        return _Pending(command, token, budget, stderr_file, text)

    def _collect(self, pending: _Pending) -> CommandResult:
        """Wait for ``pending``'s end marker; what came before it is its output."""
        assert self.child is not None
        command, token, budget = pending.command, pending.token, pending.budget
        began = time.monotonic()
        try:
            answered = self._wait_marker("__LPIC3_END_", token, budget)
        except pexpect.EOF:
            seen = clean_output(self.child.before or "")
            self.close()
            raise SessionError(f"the shell on {self.description} ended: {seen.strip()[-300:]}") from None
        if answered is None:
            seen = clean_output(self.child.before or "")
            self.close()  # the shell is busy with the hung command: start afresh next time
            note = f"\n[no answer from {self.description} after {budget:g} s]"
            return CommandResult(command, 124, seen + note, timed_out=True, waited=time.monotonic() - began)
        self.commands += 1
        before, status = answered
        output, errors = clean_output(before), ""
        output, _, noted = output.partition(f"__LPIC3_REFUSED_{token}\n")
        if pending.stderr_file:
            output, _, errors = output.partition(f"__LPIC3_ERR_{token}\n")
        refused = self.refusal(noted.splitlines())
        code = int(status) if status.isdigit() else -1
        return CommandResult(command, code, output, errors, refused=refused, waited=time.monotonic() - began)

    def _wait_marker(self, name: str, token: str, timeout: float) -> tuple[str, str] | None:
        """Wait for the marker ``_marker_printf`` prints: what came before it and the value it carries,
        or None after ``timeout`` seconds. Its token is searched as plain text: a pattern would be
        compiled for every command (a fresh token each time): more than half the session's Python
        time for a batch of 20 commands."""
        if not self._wait(f"={token}", time.monotonic() + timeout):
            return None
        assert self.child is not None
        before, _, value = (self.child.before or "").rpartition(name)
        return before, value

    def _wait(self, text: str, deadline: float) -> bool:
        """Wait for ``text`` until ``deadline`` (``time.monotonic``): True when it came. Looks at the
        cancel event every ``POLL`` seconds (output already read stays in pexpect's buffer)."""
        assert self.child is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.child.expect_exact([text, pexpect.TIMEOUT], timeout=min(left, POLL)) == 0:
                return True
            self._stop_if_cancelled()

    def _stop_if_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            self.close()
            raise Interrupted(f"stopped on request; the shell on {self.description} was closed")


def spawn_env() -> dict[str, str]:
    """The environment the process that starts a target's shell gets: ``KEPT_ENV`` of the caller's,
    the clean PATH and locale, a dumb terminal."""
    return {**{k: os.environ[k] for k in KEPT_ENV if k in os.environ}, **CLEAN_ENV, "TERM": "dumb"}


def local_argv(user: str | None = None) -> list[str]:
    """A clean local bash; as another user through ``runuser`` when ``user`` is given (root only)."""
    env = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in CLEAN_ENV.items()), "HOME=/root", "TERM=dumb", "PS1=", "PS2="]
    shell = ["/bin/bash", "--noprofile", "--norc", "--noediting", "-s"]
    if user:
        return ["/usr/sbin/runuser", "-u", user, "--", *env, *shell]
    return [*env, *shell]
