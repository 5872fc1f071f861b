"""Lab targets: where a lab's commands run. Each is a way to start one persistent shell.

- ``local``: this machine, as the current user (the learner's own lab VM).
- ``ssh://user@host[:port]``: any machine reachable by SSH with a key; host keys are checked and
  the connection is reused (ControlMaster), so a lab run opens one connection. The learner's own
  SSH configuration applies (keys, aliases); ``LPIC3_SSH_CONFIG`` names another config file.
- ``netns``: a throw-away sandbox on this machine: new PID, mount, UTS, IPC and network
  namespaces made with ``unshare``; it disappears with its shell. Root only.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

from checkers.privdir import PrivateDirError, runtime_dir
from checkers.session import ShellSession, local_argv
from checkers.shell import CLEAN_ENV

_SSH = re.compile(r"^ssh://(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>[A-Za-z0-9.:_-]+?)(?::(?P<port>\d{1,5}))?/?$")


class TargetError(ValueError):
    """A target specification that cannot be used, with a message naming it."""


@dataclass(frozen=True, slots=True)
class Target:
    spec: str
    kind: str
    description: str
    argv: tuple[str, ...]
    sandbox: bool  # throw-away: labs may change it without asking

    def session(self) -> ShellSession:
        return ShellSession(self.argv, self.description)

    def disconnect(self) -> None:
        """Close a kept-open SSH connection (ControlPersist) now instead of when it times out."""
        if self.kind == "ssh":
            at = self.argv.index("-p")
            options = [a for a in self.argv[1:at] if a not in ("-T",)]
            subprocess.run(
                ["/usr/bin/ssh", *options, "-O", "exit", "-p", self.argv[at + 1], self.argv[at + 2]],
                capture_output=True,
                timeout=15,
                check=False,
            )


def parse_target(spec: str) -> Target:
    if spec == "local":
        return Target(spec, "local", "this machine (local)", tuple(local_argv()), sandbox=False)
    if spec == "netns":
        if os.geteuid() != 0:
            raise TargetError("target netns: needs root (it creates namespaces with unshare)")
        argv = (
            "/usr/bin/unshare",
            "--fork",
            "--pid",
            "--mount-proc",
            "--uts",
            "--ipc",
            "--net",
            "--mount",
            "--propagation",
            "private",
            *local_argv(),
        )
        return Target(spec, "netns", "a namespace sandbox on this machine", argv, sandbox=True)
    match = _SSH.match(spec)
    if match:
        host, port, user = match["host"], match["port"] or "22", match["user"]
        if not 0 < int(port) < 65536:
            raise TargetError(f"target {spec}: port {port} is out of range")
        config = os.environ.get("LPIC3_SSH_CONFIG")
        return ssh_target(spec, host, int(port), user, f"{user + '@' if user else ''}{host}:{port} (ssh)", config)
    raise TargetError(f"unknown target {spec!r}: use local, netns or ssh://user@host[:port]")


def ssh_target(
    spec: str,
    host: str,
    port: int,
    user: str | None,
    description: str,
    config: str | None = None,
    sandbox: bool = False,
) -> Target:
    """A target reached by the system ``ssh``: strict host keys, no password prompts, one kept-open
    connection (ControlMaster) reused by every session, a clean remote shell."""
    try:  # a socket that is a logged-in shell on the target: in a private folder, never in /tmp
        control = runtime_dir() / "ssh-%C"
    except PrivateDirError as exc:
        raise TargetError(str(exc)) from None
    env = ["env", "-i", *(f"{k}={v}" for k, v in CLEAN_ENV.items()), "TERM=dumb", "PS1=", "PS2="]
    options = [
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "ControlMaster=auto",
        f"ControlPath={control}",
        "ControlPersist=120",
        "ConnectTimeout=10",
    ]
    argv = (
        "/usr/bin/ssh",
        *(("-F", config) if config else ()),
        "-T",
        *(x for option in options for x in ("-o", option)),
        "-p",
        str(port),
        f"{user}@{host}" if user else host,
        *env,
        "bash",
        "--noprofile",
        "--norc",
        "-s",
    )
    return Target(spec, "ssh", description, argv, sandbox=sandbox)
