"""Daemons the lab self-tests need, started by hand (no systemd on the CI machine) and stopped by PID.

Tests run in several pytest-xdist workers at once, and more than one of them may need dockerd at the
same moment: one daemon must serve them all, and stop only when the last of them is done. So each
``ensure_*`` takes a *lease* on its daemon, kept in a machine-wide state file under a lock: the first
lease starts the daemon (only when it is installed and not already answering), later ones reuse it,
and the last one to end stops exactly what a lease started (nothing, when the daemon was running
before any test). A lease of a worker that was killed is dropped the next time the file is read.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Stop = Callable[[], None]
Record = dict[str, object]  # how to stop what a lease started: JSON, so any worker can do it

_STATE = Path("/run/lpic3-tests")  # root's; the tests that start daemons run as root only


def _answers(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0


def _wait(command: list[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answers(command):
            return True
        time.sleep(0.3)
    return False


def _start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat: with the PID, names one process for as long as the machine runs."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _terminate(pid: int, start: int | None, seconds: float = 30) -> None:
    """SIGTERM the process that is still the one started (same start time), SIGKILL if it lingers."""
    if _start_time(pid) != start:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + seconds
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _running(pid) and _start_time(pid) == start:
            os.kill(pid, signal.SIGKILL)


def _start_libvirtd(log_dir: Path) -> Record | None:
    probe = ["virsh", "-c", "qemu:///system", "version"]
    if not shutil.which("libvirtd") or _answers(probe):
        return None
    started = []
    for daemon, pidfile in (("virtlogd", Path("/run/virtlogd.pid")), ("libvirtd", Path("/run/libvirtd.pid"))):
        if subprocess.run([daemon, "-d"], capture_output=True, check=False).returncode == 0:
            with contextlib.suppress(OSError, ValueError):
                pid = int(pidfile.read_text().strip())
                started.append([pid, _start_time(pid)])
    _wait(probe, 20)
    return {"processes": started}


def _start_dockerd(log_dir: Path) -> Record | None:
    probe = ["docker", "info"]
    if not shutil.which("dockerd") or _answers(probe):
        return None
    with (log_dir / "dockerd.log").open("ab") as out:
        daemon = subprocess.Popen(["dockerd"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _wait(probe, 60)
    return {"processes": [[daemon.pid, _start_time(daemon.pid)]]}  # dockerd stops the containerd it spawned


def _start_lxc_net(log_dir: Path) -> Record | None:
    script = "/usr/libexec/lxc/lxc-net"
    if not Path(script).exists() or _answers(["ip", "link", "show", "lxcbr0"]):
        return None
    subprocess.run([script, "start"], capture_output=True, check=False)
    return {"script": script}


# What `lxd init --auto` would make, less the network: on a machine with no free private IPv4 subnet
# (CI's) it cannot make lxdbr0 and fails. Labs launch instances without a NIC from local images.
_LXD_PRESEED = """
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root: {path: /, pool: default, type: disk}
"""


def _within(seconds: float, command: list[str], stdin: str | None = None) -> str | None:
    """What ``command`` printed when it succeeded within ``seconds``; None when it failed or hung."""
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout if done.returncode == 0 else None


def _start_lxd(log_dir: Path) -> Record | None:
    """LXD started by hand, as its service would; set up with a ``dir`` pool only the first time
    (its state in /var/lib/lxd outlives the daemon). ``lxd shutdown`` stops it and its instances."""
    if not shutil.which("lxd") or _answers(["lxc", "info"]):
        return None
    daemon = subprocess.Popen(
        ["lxd", "--group", "root", "--logfile", str(log_dir / "lxd.log")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _within(130, ["lxd", "waitready", "--timeout", "120"])
    if (_within(30, ["lxc", "query", "/1.0/storage-pools"]) or "").split() == ["[]"]:
        _within(60, ["lxd", "init", "--preseed"], _LXD_PRESEED)
    return {"processes": [[daemon.pid, _start_time(daemon.pid)]], "shutdown": ["lxd", "shutdown"]}


def _stop(record: Record) -> None:
    processes = record.get("processes")
    shutdown = record.get("shutdown")
    if isinstance(shutdown, list) and isinstance(processes, list) and _start_time(processes[0][0]) == processes[0][1]:
        # The daemon's own clean stop first (its instances too), asked only while the very process
        # the lease started still runs: then it is the one that answers on the socket.
        _within(180, shutdown)
    for pid, start in reversed(processes if isinstance(processes, list) else []):
        _terminate(pid, start)
    script = record.get("script")
    if isinstance(script, str):
        subprocess.run([script, "stop"], capture_output=True, check=False)


_STARTERS: dict[str, Callable[[Path], Record | None]] = {
    "libvirtd": _start_libvirtd,
    "dockerd": _start_dockerd,
    "lxc-net": _start_lxc_net,
    "lxd": _start_lxd,
}


@contextlib.contextmanager
def _shared_state() -> Iterator[dict[str, Any]]:
    """The machine-wide lease table, read and written under an exclusive lock."""
    _STATE.mkdir(mode=0o700, exist_ok=True)
    path = _STATE / "daemons.json"
    with (_STATE / "daemons.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            state = {}
        yield state
        path.with_suffix(".tmp").write_text(json.dumps(state))
        path.with_suffix(".tmp").replace(path)


def _lease(name: str, log_dir: Path) -> Stop:
    me = [os.getpid(), _start_time(os.getpid())]
    with _shared_state() as state:
        entry = state.setdefault(name, {"holders": [], "started": None})
        holders = [h for h in entry["holders"] if _start_time(h[0]) == h[1]]
        if entry["started"] is None or not holders:
            entry["started"] = _STARTERS[name](log_dir) or entry["started"]
        entry["holders"] = [*holders, me]

    def release() -> None:
        with _shared_state() as state:
            entry = state.get(name) or {"holders": [], "started": None}
            holders = [h for h in entry["holders"] if h != me and _start_time(h[0]) == h[1]]
            if not holders and isinstance(entry["started"], dict):
                _stop(entry["started"])
                entry["started"] = None
            entry["holders"] = holders

    return release


def ensure_libvirtd(log_dir: Path = Path("/tmp")) -> Stop:
    return _lease("libvirtd", log_dir)


def ensure_dockerd(log: Path) -> Stop:
    return _lease("dockerd", log.parent)


def ensure_lxc_net() -> Stop:
    return _lease("lxc-net", Path("/tmp"))


def ensure_lxd(log: Path) -> Stop:
    return _lease("lxd", log.parent)


@contextlib.contextmanager
def docker_turn(alone: bool = False) -> Iterator[None]:
    """A machine-wide turn on the Docker daemon: shared by the tests that make and remove containers,
    ``alone`` for the Vagrant labs. Vagrant 2.3.4's docker provider lists every container on the host
    (``docker ps -a -q``) and then inspects each one: a container another test removes in between
    makes ``vagrant up`` fail ("No such object"), which says nothing about the lab. A turn alone
    waits until no shared turn is held, and holds new ones off while it lasts."""
    _STATE.mkdir(mode=0o700, exist_ok=True)
    with (_STATE / "docker-turn.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        yield  # closing the file lets the lock go
