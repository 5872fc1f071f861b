"""Finding the learner's process: labs name it by a command that prints its PID."""

from __future__ import annotations

from checkers.probes.registry import Arg
from checkers.shell import Shell

PID_ARG = Arg(
    str,
    help="shell command printing the PID of the process to inspect, e.g. 'cat /run/lab.pid' or 'pgrep -xo sleep'",
    shell=True,
)


def find_pid(shell: Shell, pid_cmd: str) -> tuple[int | None, str]:
    """The PID printed by ``pid_cmd`` (first number), or None and what went wrong."""
    result = shell.run(pid_cmd)
    for word in result.output.split():
        if word.isdigit():
            pid = int(word)
            if shell.run(f"test -d /proc/{pid}").status == 0:
                return pid, ""
            return None, f"process {pid} (from `{pid_cmd}`) is not running"
    return None, f"`{pid_cmd}` printed no PID" + (f" ({result.output.strip()[:120]})" if result.output.strip() else "")
