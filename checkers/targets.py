"""Lab targets: where a lab's commands run. Each is a way to start one persistent shell.

- ``local``: this machine, as the current user (the learner's own lab VM).
- ``ssh://user@host[:port]``: any machine reachable by SSH with a key; host keys are checked and
  the connection is reused (ControlMaster), so a lab run opens one connection. The learner's own
  SSH configuration applies (keys, aliases); ``LPIC3_SSH_CONFIG`` names another config file.
- ``netns``: a throw-away sandbox on this machine: new PID, mount, UTS, IPC and network
  namespaces made with ``unshare``; they disappear with the shell, unless a lab attempt keeps them
  in a holder process (``checkers.netns``) that later shells enter. Root only.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit

from checkers.netns import UNSHARE
from checkers.privdir import PrivateDirError, runtime_dir
from checkers.session import ShellSession, local_argv
from checkers.shell import CLEAN_ENV

# What ssh:// may name: never a leading '-' (ssh would read it as an option), no blanks or quotes.
_USER = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._-]{0,63}")
_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?")
_PRINTABLE = re.compile(r"[!-~]+")  # printable ASCII, no blank: urlsplit silently drops tabs and newlines


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
            at = self.argv.index("--")
            options = [a for a in self.argv[1:at] if a not in ("-T",)]
            subprocess.run(
                ["/usr/bin/ssh", *options, "-O", "exit", "--", self.argv[at + 1]],
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
        argv = (*UNSHARE, *local_argv())
        return Target(spec, "netns", "a namespace sandbox on this machine", argv, sandbox=True)
    if spec.startswith("ssh://"):
        user, host, port = _ssh_parts(spec)
        config = os.environ.get("LPIC3_SSH_CONFIG")
        shown = f"[{host}]" if ":" in host else host  # an IPv6 address
        return ssh_target(spec, host, port, user, f"{user + '@' if user else ''}{shown}:{port} (ssh)", config)
    raise TargetError(f"unknown target {_shown(spec)}: use local, netns or ssh://user@host[:port]")


def _ssh_parts(spec: str) -> tuple[str | None, str, int]:
    """User, host and port of ``ssh://[user@]host[:port]``, each checked: a value ssh would take
    for an option (``ssh://-Fevil``), a port outside 1-65535, a password, a path or a query is a
    TargetError naming the target."""
    where = f"target {_shown(spec)}"
    if not _PRINTABLE.fullmatch(spec):
        raise TargetError(f"{where}: blanks and control characters are not allowed")
    parts = urlsplit(spec)
    try:
        port = parts.port if parts.port is not None else 22
    except ValueError:
        raise TargetError(f"{where}: the port must be a number from 1 to 65535") from None
    if not 0 < port < 65536:
        raise TargetError(f"{where}: the port must be a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.password is not None:
        raise TargetError(f"{where}: write it as ssh://user@host[:port] (no password, path or query)")
    user, host = parts.username, parts.hostname or ""
    if user is not None and not _USER.fullmatch(user):
        raise TargetError(f"{where}: the user name may hold letters, digits, '.', '_' and '-' (not first)")
    if not host:
        raise TargetError(f"{where}: no host: ssh://user@host[:port]")
    if not _HOST.fullmatch(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise TargetError(
                f"{where}: the host must be a name (letters, digits, '-' but not first, '.') or an IP address"
            ) from None
    return user, host, port


def _shown(spec: str) -> str:
    """The target as a message quotes it: at most 60 characters."""
    return repr(spec[:60]) + ("…" if len(spec) > 60 else "")


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
    # Absolute paths: the remote login shell runs this line after its rc files, where a function named
    # env or bash would otherwise win.
    env = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in CLEAN_ENV.items()), "TERM=dumb", "PS1=", "PS2="]
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
        "--",  # the destination is never read as an option
        f"{user}@{host}" if user else host,
        *env,
        "/bin/bash",
        "--noprofile",
        "--norc",
        "-s",
    )
    return Target(spec, "ssh", description, argv, sandbox=sandbox)


def ssh_login_shell(target: Target, directory: str) -> list[str]:
    """An interactive login shell on SSH ``target`` in ``directory`` (``lpic3 lab shell``): the target's
    own ssh command with a terminal (``-t`` for ``-T``), the same destination, and the shell as
    the remote command."""
    at = target.argv.index("--")
    options = ["-t" if option == "-T" else option for option in target.argv[1:at]]
    remote = f"cd -- {shlex.quote(directory)} && exec bash --login"
    return [target.argv[0], *options, "--", target.argv[at + 1], remote]
