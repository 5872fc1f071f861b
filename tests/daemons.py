"""Daemons the lab self-tests need, started by hand (no systemd on the CI machine) and stopped by PID.

Each ``ensure_*`` starts its daemon only when it is installed and not already answering, and
returns a function that stops exactly what it started (nothing when it found the daemon running).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

Stop = Callable[[], None]


def _nothing() -> None:
    return None


def _answers(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0


def _wait(command: list[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answers(command):
            return True
        time.sleep(0.3)
    return False


def _kill_pidfile(path: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(path.read_text().strip()), signal.SIGTERM)


def ensure_libvirtd() -> Stop:
    probe = ["virsh", "-c", "qemu:///system", "version"]
    if not shutil.which("libvirtd") or _answers(probe):
        return _nothing
    started = []
    for daemon, pidfile in (("virtlogd", Path("/run/virtlogd.pid")), ("libvirtd", Path("/run/libvirtd.pid"))):
        if subprocess.run([daemon, "-d"], capture_output=True, check=False).returncode == 0:
            started.append(pidfile)
    _wait(probe, 20)

    def stop() -> None:
        for pidfile in reversed(started):
            _kill_pidfile(pidfile)

    return stop


def ensure_dockerd(log: Path) -> Stop:
    probe = ["docker", "info"]
    if not shutil.which("dockerd") or _answers(probe):
        return _nothing
    with log.open("wb") as out:
        daemon = subprocess.Popen(["dockerd"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _wait(probe, 60)

    def stop() -> None:
        daemon.terminate()  # dockerd stops the containerd it spawned
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()

    return stop


def ensure_lxc_net() -> Stop:
    script = "/usr/libexec/lxc/lxc-net"
    if not Path(script).exists() or _answers(["ip", "link", "show", "lxcbr0"]):
        return _nothing
    subprocess.run([script, "start"], capture_output=True, check=False)

    def stop() -> None:
        subprocess.run([script, "stop"], capture_output=True, check=False)

    return stop
