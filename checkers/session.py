"""A shell session on a lab target, driven by pexpect: opened once, reused for every command.

The shell is a non-interactive ``bash -s`` on a pty with echo off, started through ``env -i``
with a fixed PATH and ``LC_ALL=C``: no prompt, no rc files, no aliases or functions of the
learner, no locale surprises. Each command is sent as ``eval '<quoted text>'`` in a group with
stdin from /dev/null (so it cannot eat the protocol), followed by an end marker that carries a
fresh random token and the exit status. The marker is printed by ``printf`` from two pieces, so
the text sent can never match it even if a terminal echoed it. A command that overruns its
timeout is reported as status 124 and the session is restarted on the next command.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Sequence

import pexpect

from checkers.shell import CLEAN_ENV, CommandResult

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>]")
START_TIMEOUT = 15.0


class SessionError(Exception):
    """The target's shell could not be started or stopped answering."""


def clean_output(text: str) -> str:
    """Terminal noise removed: carriage returns, colours, bracketed-paste and title sequences."""
    return _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", ""))


class ShellSession:
    """A persistent shell. ``argv`` starts it (local bash, ``ssh ... bash``, ``unshare ... bash``)."""

    def __init__(self, argv: Sequence[str], description: str, start_timeout: float = START_TIMEOUT) -> None:
        self.argv, self.description, self.start_timeout = list(argv), description, start_timeout
        self.child: pexpect.spawn | None = None
        self.commands = 0

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
                timeout=self.start_timeout,
                dimensions=(50, 500),
            )
        except pexpect.ExceptionPexpect as exc:
            raise SessionError(f"cannot start a shell on {self.description}: {exc}") from None
        self.child.delaybeforesend = None  # pexpect waits 50 ms before each send by default
        token = secrets.token_hex(6)
        # A pty makes bash interactive: no prompts, no history expansion (!), no job control, no aliases.
        self.child.sendline(
            "PS1= PS2= PROMPT_COMMAND=; set +H +m; unalias -a; "
            "__lpic3_err=$(mktemp /tmp/lpic3-stderr.XXXXXX); trap 'rm -f \"$__lpic3_err\"' EXIT; "
            "exec 3> >(exec cat); "
            f"printf '%s%s\\n' __LPIC3_READY_ {token}"
        )
        try:
            self.child.expect(f"__LPIC3_READY_{token}\r?\n")
        except (pexpect.TIMEOUT, pexpect.EOF):
            seen = clean_output(self.child.before or "").strip()[-300:]
            self.close()
            raise SessionError(
                f"no shell answered on {self.description} within {self.start_timeout:g} s"
                + (f": {seen}" if seen else "")
            ) from None

    def close(self) -> None:
        if self.child is not None:
            self.child.close(force=True)
            self.child = None

    def run(self, command: str, timeout: float = 10.0, merge: bool = True) -> CommandResult:
        """Run ``command`` (any shell text, several lines allowed) in a subshell, so that neither ``exit``
        nor ``cd`` nor an alias can change the session. Its output goes to fd 3, a pipe to one
        long-lived ``cat``, so tools format it as in a script (no columns or colours for a
        terminal) without a new process per command. stdout and stderr come together, or with
        ``merge=False`` apart (stderr through a file, copied back by a shell builtin loop)."""
        quoted = shlex.quote(command)
        if merge:
            return self._send(f"( eval {quoted}\n) </dev/null >&3 2>&1; __lpic3_s=$?", command, timeout, fd=3)
        return self._send(
            f'( eval {quoted}\n) </dev/null >&3 2>"$__lpic3_err"; __lpic3_s=$?',
            command,
            timeout,
            fd=3,
            stderr_file=True,
        )

    def run_script(self, script: str, timeout: float = 300.0) -> CommandResult:
        """Run a script in a subshell with ``set -e``: its ``cd``, ``exit`` or failure end there.
        (Straight to the terminal: a script may leave a daemon running, which would hold a pipe.)"""
        return self._send(f"( set -e; eval {shlex.quote(script)}\n) </dev/null 2>&1; __lpic3_s=$?", script, timeout)

    def _send(
        self, wrapped: str, command: str, timeout: float, fd: int = 1, stderr_file: bool = False
    ) -> CommandResult:
        self.open()
        assert self.child is not None
        token = secrets.token_hex(8)
        if stderr_file:
            wrapped += (
                f"; printf '%s%s\\n' __LPIC3_ERR_ {token} >&3; "
                'while IFS= read -r __l || [ -n "$__l" ]; do printf \'%s\\n\' "$__l"; done <"$__lpic3_err" >&3'
            )
        self.child.send(f"{wrapped}\nprintf '%s%s_%s\\n' __LPIC3_END_ {token} \"$__lpic3_s\" >&{fd}\n")
        try:
            self.child.expect(f"__LPIC3_END_{token}_(\\d+)\r?\n", timeout=timeout)
        except pexpect.TIMEOUT:
            seen = clean_output(self.child.before or "")
            self.close()  # the shell is busy with the hung command: start afresh next time
            return CommandResult(command, 124, seen + f"\n[no answer from {self.description} after {timeout:g} s]")
        except pexpect.EOF:
            seen = clean_output(self.child.before or "")
            self.close()
            raise SessionError(f"the shell on {self.description} ended: {seen.strip()[-300:]}") from None
        self.commands += 1
        output, errors = clean_output(self.child.before), ""
        if stderr_file:
            output, _, errors = output.partition(f"__LPIC3_ERR_{token}\n")
        return CommandResult(command, int(self.child.match.group(1)), output, errors)


def local_argv(user: str | None = None) -> list[str]:
    """A clean local bash; as another user through ``runuser`` when ``user`` is given (root only)."""
    env = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in CLEAN_ENV.items()), "HOME=/root", "TERM=dumb", "PS1=", "PS2="]
    shell = ["/bin/bash", "--noprofile", "--norc", "--noediting", "-s"]
    if user:
        return ["/usr/sbin/runuser", "-u", user, "--", *env, *shell]
    return [*env, *shell]
