"""Commands that read kernel state, run in the kernel view (``checkers.kernelfiles``).

``kernel.status`` and ``kernel.output`` are ``command.status`` and ``command.output`` for a check
whose command reads /proc or /sys, itself or through a tool (``grep /proc/cpuinfo``,
``nsenter -t PID``, ``lxc-cgroup``): it runs with a fresh /proc, /sys and cgroups where nothing the
learner mounted is seen, and fails as tampered when anything in /proc or /sys of the learner's
mount table is not the kernel's own. In the command, ``$LPIC3_CALLER`` is the PID of the session's
shell (``/proc/self`` is the view's process, in a mount namespace of its own).
"""

from __future__ import annotations

from checkers.kernelfiles import InView
from checkers.probes.commands import command_output, command_status
from checkers.probes.registry import Arg, Verdict, probe
from checkers.shell import Shell

_COMMAND = Arg(str, help="shell command run on the target with a fresh /proc and /sys (it may read both)", shell=True)


@probe(
    "kernel.status",
    "a command that reads /proc or /sys (nothing mounted over them) exits with the given status (0 by default)",
    command=_COMMAND,
    status=Arg(int, required=False, help="expected exit status, default 0"),
)
def kernel_status(shell: Shell, command: str, status: int = 0) -> Verdict:
    return command_status(InView(shell), command, status)


@probe(
    "kernel.output",
    "a command that reads /proc or /sys (nothing mounted over them) succeeds and its output matches",
    command=_COMMAND,
    pattern=Arg(str, help="Python regular expression searched in the output (multiline)", is_regex=True),
    present=Arg(bool, required=False, help="false to require that the output does not match"),
)
def kernel_output(shell: Shell, command: str, pattern: str, present: bool = True) -> Verdict:
    return command_output(InView(shell), command, pattern, present)
