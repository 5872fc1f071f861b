"""A classroom on this machine: student machines for the class tests and the benchmark.

Each student machine is a process tree in its own network, mount, UTS and PID namespaces
(``unshare``), with its own hostname, a veth into a test bridge (``lp-cls-<pid>``) and its own
address on it, private ``/root`` (so ``/root/.ssh``), ``/etc/ssh`` (its own host key),
``/var/lib/lpic3``, ``/run/lpic3`` and ``/tmp`` (tmpfs), its own sysfs, and a real sshd as the
namespace's first process. It shares the host's ``/usr``: the tools installed here are there.
They are built in parallel (a class of 24 in a second or two), reached as ``root`` with one
client key, and removed afterwards: each machine's first process is killed by PID (everything in
its PID namespace goes with it, its veth with its network namespace), then the bridge is deleted.

``student_machines`` is a session-scoped fixture (tests/conftest.py imports it), so the class is
built once per test run; tests that break a machine do it on their own extra ones
(``Classroom.add``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SSHD = "/usr/sbin/sshd"
COUNT = 24
START_SECONDS = 20.0
SSHD_CONFIG = """\
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
AuthorizedKeysFile /root/.ssh/authorized_keys
PidFile none
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UseDNS no
MaxStartups 100
MaxSessions 50
"""
# Run as the machine's first process, in its fresh namespaces: private folders, then sshd.
BOOT = """\
set -e
hostname "$1"
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0700 lpic3-student /root
mkdir -m 0700 /root/.ssh && cp "$2/authorized_keys" /root/.ssh/
mount -t tmpfs -o mode=0755 lpic3-student /etc/ssh
cp "$2/ssh_host_ed25519_key" "$2/ssh_host_ed25519_key.pub" "$2/sshd_config" /etc/ssh/
chmod 0600 /etc/ssh/ssh_host_ed25519_key
# A missing mount point is made on the host as lpic3 itself makes these folders (mode 0700): made 0755
# here, it left lpic3 refusing /run/lpic3 on this machine afterwards.
for d in /var/lib/lpic3 /run/lpic3; do
    [ -d "$d" ] || mkdir -m 0700 "$d"
    mount -t tmpfs -o mode=0700 lpic3-student "$d"
done
mount -t tmpfs -o mode=1777 lpic3-student /tmp
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
"""


@dataclass
class Machine:
    """One student machine: its name, address, host key, and the PIDs that hold it."""

    name: str
    address: str
    folder: Path
    unshare: subprocess.Popen[bytes] | None = None
    init: int = 0  # the namespace's first process (sshd): killing it ends the machine
    host_key: str = ""  # "ssh-ed25519 AAAA..."

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """A command inside the machine's namespaces (as its root), for a test to change it."""
        return subprocess.run(
            ["/usr/bin/nsenter", "-t", str(self.init), "--all", "/bin/sh", "-c", command],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def stop(self) -> None:
        """Kill the machine's first process by PID: the PID namespace and all in it end with it."""
        if self.init:
            with suppress(ProcessLookupError):  # ended already
                os.kill(self.init, signal.SIGKILL)
            self.init = 0
        if self.unshare is not None:
            self.unshare.wait(timeout=10)
            self.unshare = None


@dataclass
class Classroom:
    """The bridge, the client key and the student machines on it."""

    folder: Path
    bridge: str
    prefix: str  # "10.213.N": the bridge is .1, student i is .(10 + i)
    machines: list[Machine] = field(default_factory=list)

    @property
    def client_key(self) -> Path:
        return self.folder / "client"

    def add(self, count: int, stem: str = "student") -> list[Machine]:
        """``count`` more machines, built in parallel and answering on port 22 when this returns."""
        first = len(self.machines)
        new = [
            Machine(f"{stem}{first + n + 1:02d}", f"{self.prefix}.{10 + first + n}", self.folder / f"m{first + n:02d}")
            for n in range(count)
        ]
        self.machines.extend(new)
        with ThreadPoolExecutor(max_workers=min(count, 24)) as pool:
            list(pool.map(self._boot, new))
        _wait_for_ports([(m.address, 22) for m in new], START_SECONDS)
        return new

    def _boot(self, machine: Machine) -> None:
        machine.folder.mkdir()
        _run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                machine.name,
                "-f",
                str(machine.folder / "ssh_host_ed25519_key"),
            ]
        )
        machine.host_key = " ".join((machine.folder / "ssh_host_ed25519_key.pub").read_text().split()[:2])
        shutil.copy(self.folder / "client.pub", machine.folder / "authorized_keys")
        (machine.folder / "sshd_config").write_text(SSHD_CONFIG)
        machine.unshare = subprocess.Popen(
            [
                "/usr/bin/unshare",
                "--fork",
                "--pid",
                "--mount-proc",
                "--net",
                "--mount",
                "--uts",
                "--ipc",
                "--propagation",
                "private",
                "/bin/sh",
                "-c",
                BOOT,
                "boot",
                machine.name,
                str(machine.folder),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(machine.folder / "boot.log", "wb"),  # noqa: SIM115 (the child keeps it)
            start_new_session=True,
        )
        machine.init = _first_child(machine.unshare.pid)
        veth = f"lc{os.getpid() % 100000}-{machine.folder.name[1:]}"
        _run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", str(machine.init)])
        _run(["ip", "link", "set", veth, "master", self.bridge, "up"])
        inside = f"addr add {machine.address}/24 dev eth0\nlink set eth0 up\nlink set lo up\n"
        subprocess.run(
            ["/usr/bin/nsenter", "-t", str(machine.init), "--net", "ip", "-b", "-"],
            input=inside,
            text=True,
            capture_output=True,
            check=True,
            timeout=10,
        )

    def inventory(self, path: Path, machines: list[Machine] | None = None, extra: str = "") -> Path:
        """An INI inventory of ``machines`` (default: all) in group ``students``, root with the class key."""
        lines = ["[students]"]
        lines += [f"{m.name} ansible_host={m.address}" for m in machines or self.machines]
        lines += ["", "[students:vars]", "ansible_user=root", f"ansible_ssh_private_key_file={self.client_key}"]
        path.write_text("\n".join(lines) + "\n" + extra)
        return path

    def stop(self) -> None:
        for machine in self.machines:
            machine.stop()
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False, timeout=10)


def lab_tree(folder: Path, *paths: str) -> Path:
    """A content tree in ``folder`` holding only the bundled labs at ``paths`` (``351.1/cpu-virt-flags.yaml``):
    the class tests do not depend on the rest of the curriculum, and load it fast."""
    for path in paths:
        (folder / "exercises" / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "exercises" / path, folder / "exercises" / path)
    (folder / "content").mkdir(exist_ok=True)
    return folder


def start_classroom(count: int, folder: Path) -> Classroom:
    """A bridge and ``count`` student machines on it (root and sshd needed: skips with the reason)."""
    if os.geteuid() != 0:
        pytest.skip("student machines need root (namespaces, a bridge)")
    if not Path(SSHD).exists():
        pytest.skip("student machines need openssh-server (/usr/sbin/sshd)")
    folder.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    bridge = f"lp-cls-{pid % 100000}"
    prefix = f"10.213.{pid % 250}"
    _run(["ip", "link", "add", bridge, "type", "bridge"])
    room = Classroom(folder, bridge, prefix)
    try:
        _run(["ip", "addr", "add", f"{prefix}.1/24", "dev", bridge])
        _run(["ip", "link", "set", bridge, "up"])
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lpic3-instructor", "-f", str(room.client_key)])
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation folder
        room.add(count)
    except BaseException:
        room.stop()
        raise
    return room


@pytest.fixture(scope="session")
def student_machines() -> Iterator[Classroom]:
    """24 student machines, built once for the whole test run and removed at its end."""
    folder = Path(tempfile.mkdtemp(prefix="lpic3-class-"))
    room = start_classroom(COUNT, folder)
    try:
        yield room
    finally:
        room.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _first_child(pid: int) -> int:
    """The process ``unshare --fork`` started (the namespace's first process)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise RuntimeError(f"unshare {pid} started no process within {START_SECONDS:g} s")


def _wait_for_ports(places: list[tuple[str, int]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    waiting = list(places)
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no sshd answered on {waiting[:3]} within {seconds:g} s")
        still = []
        for place in waiting:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(place) != 0:
                    still.append(place)
        waiting = still
        if waiting:
            time.sleep(0.05)


def _run(argv: list[str]) -> None:
    subprocess.run(argv, capture_output=True, check=True, timeout=30)
