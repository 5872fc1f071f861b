"""Running the sandbox VM: boot it from a throw-away overlay, know when it is ready, reset, stop.

Ready means both: a root shell answers on the serial console (driven with pexpect through the
console's UNIX socket) and SSH answers on a forwarded localhost port with lpic3's own key. KVM
is used only where a timed guest boot has proved it works (checkers.kvm); TCG otherwise.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pexpect

from checkers.kvm import guest_boots
from checkers.session import ShellSession, local_argv
from checkers.targets import Target, ssh_target
from trainer.errors import SandboxError
from trainer.sandbox import recipe
from trainer.sandbox.files import HOSTNAME, SandboxFiles, mounts_under

READY_TIMEOUT = 180.0
PORT_ATTEMPTS = 3
Progress = Callable[[str], None]


def running_pid(files: SandboxFiles) -> int | None:
    """The QEMU process of the sandbox, if it is alive (and is QEMU, not a reused PID)."""
    try:
        pid = int(files.pidfile.read_text().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"qemu-system" in cmdline.read():
                return pid
    except (OSError, ValueError):
        pass
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine_args(kernel: Path, initrd: Path, disk: Path, accel: str) -> list[str]:
    """The sandbox machine: what every boot of it has in common."""
    return [
        "qemu-system-x86_64",
        "-name", HOSTNAME,
        "-accel", accel,
        "-m", "2048",
        "-smp", "2",
        "-nodefaults",  # no VGA, CD-ROM, floppy or default NIC: less for the guest to probe
        "-display", "none",
        # the kernel taken from the image; uncompressed at build time when it can be (PVH entry)
        "-kernel", str(kernel),
        "-initrd", str(initrd),
        # net.ifnames=0: eth0 keeps its name, so the guest can set its address before udev runs
        "-append", "root=LABEL=root rw console=ttyS0 net.ifnames=0 quiet",
        "-drive", f"file={disk},if=virtio,format=qcow2",
    ]  # fmt: skip


def qemu_command(files: SandboxFiles, accel: str, port: int) -> list[str]:
    """The QEMU command line of `sandbox up` (shown by --explain: each option is exam material)."""
    return [
        *machine_args(files.kernel, files.initrd, files.overlay, accel),
        "-daemonize",
        "-pidfile", str(files.pidfile),
        "-serial", f"unix:{files.serial},server=on,wait=off",
        "-nic", f"user,model=virtio-net-pci,{recipe.SLIRP_NET},hostfwd=tcp:127.0.0.1:{port}-:22",
    ]  # fmt: skip


def choose_accel() -> str:
    with ShellSession(local_argv(), "local") as shell:
        works, _ = guest_boots(shell)
    return "kvm" if works else "tcg"


def up(
    files: SandboxFiles,
    say: Progress,
    explain: bool = False,
    accel: str | None = None,
    ready_timeout: float = READY_TIMEOUT,
) -> float:
    """Boot the sandbox (if it is not running) and wait until it is ready; returns the boot seconds.

    Whatever goes wrong on the way (QEMU refuses to start, stops, or the machine is not ready in
    time), QEMU is stopped again and the state files are removed: no half-started sandbox stays.
    """
    if running_pid(files):
        say("the sandbox is already running")
        return 0.0
    if not files.built:
        raise SandboxError("no sandbox image yet: run `lpic3 sandbox build` first")
    if not shutil.which("qemu-system-x86_64"):
        raise SandboxError("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)")
    _forget_run(files)  # left behind by a QEMU that was killed
    if not files.overlay.exists():
        command = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(files.image), "-F", "qcow2", str(files.overlay)]
        say("a throw-away overlay on the base image" + (f"\n  $ {' '.join(command)}" if explain else ""))
        subprocess.run(command, check=True, capture_output=True)
    accel = accel or choose_accel()
    start = time.monotonic()
    port = _start_qemu(files, accel, say, explain)
    try:
        _wait_console(files, start, ready_timeout)
        say(f"serial console answers after {time.monotonic() - start:.1f} s")
        _wait_ssh(files, start, ready_timeout)
    except SandboxError:
        down(files, lambda _: None)
        raise
    seconds = time.monotonic() - start
    say(f"ready: SSH answers on 127.0.0.1:{port} after {seconds:.1f} s")
    return seconds


def _start_qemu(files: SandboxFiles, accel: str, say: Progress, explain: bool) -> int:
    """Start QEMU in the background; returns the SSH port. A port taken between choosing it and
    QEMU binding it (another program was quicker) is retried with another port."""
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        command = qemu_command(files, accel, port)
        say(f"booting with -accel {accel}" + (f"\n  $ {' '.join(command)}" if explain else ""))
        files.serial.unlink(missing_ok=True)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            files.save_state({"port": port, "accel": accel, "started": time.time()})
            _write_ssh_config(files, port)
            return port
        error = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        if "host forwarding" not in error[0] or attempt == PORT_ATTEMPTS - 1:
            raise SandboxError(f"QEMU did not start: {error[0]}")
        say(f"port {port} is in use, trying another")
    raise AssertionError("unreachable")


def _forget_run(files: SandboxFiles) -> None:
    for path in (files.pidfile, files.serial, files.state_file):
        path.unlink(missing_ok=True)


def _write_ssh_config(files: SandboxFiles, port: int) -> None:
    files.ssh_config.write_text(
        f"Host {HOSTNAME}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {files.key}\n"
        f"  IdentitiesOnly yes\n  UserKnownHostsFile {files.known_hosts}\n  HostKeyAlias {HOSTNAME}\n"
    )


def _wait_console(files: SandboxFiles, start: float, timeout: float) -> None:
    """A root shell on the serial console (autologin) runs a command and prints its answer."""
    deadline = start + timeout
    while not files.serial.exists():
        if time.monotonic() > deadline:
            raise SandboxError("the serial console never appeared")
        _still_running(files)
        time.sleep(0.1)
    token = secrets.token_hex(4)
    console = pexpect.spawn(
        "socat", ["-", f"UNIX-CONNECT:{files.serial}"], encoding="utf-8", codec_errors="replace", timeout=5
    )
    try:
        while time.monotonic() < deadline:
            console.send("\r")
            if console.expect([f"root@{HOSTNAME}", pexpect.TIMEOUT, pexpect.EOF], timeout=3) == 0:
                console.sendline(f"echo lpic3-{token}-$((6*7))")
                if console.expect([f"lpic3-{token}-42", pexpect.TIMEOUT], timeout=10) == 0:
                    return
            _still_running(files)
            if not console.isalive():
                raise SandboxError("the serial console closed before a shell answered")
        raise SandboxError(f"the sandbox was not ready in time: no shell on the serial console after {timeout:.0f} s")
    finally:
        console.close(force=True)


def _wait_ssh(files: SandboxFiles, start: float, timeout: float) -> None:
    deadline = start + timeout
    while time.monotonic() < deadline:
        _still_running(files)
        probe = subprocess.run(
            ["ssh", "-F", str(files.ssh_config), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", HOSTNAME, "true"],
            capture_output=True,
            timeout=20,
            check=False,
        )
        if probe.returncode == 0:
            return
        time.sleep(0.5)
    raise SandboxError(f"the sandbox was not ready in time: SSH did not answer within {timeout:.0f} s")


def _still_running(files: SandboxFiles) -> None:
    if running_pid(files) is None:
        raise SandboxError("QEMU stopped while the sandbox was booting (killed, or out of memory?)")


def down(files: SandboxFiles, say: Progress) -> None:
    pid = running_pid(files)
    if pid is None:
        say("the sandbox is not running")
    else:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if running_pid(files) is None:
                break
            time.sleep(0.1)
        say("the sandbox is stopped")
    sandbox_target(files).disconnect()
    _forget_run(files)


def reset(files: SandboxFiles, say: Progress, explain: bool = False) -> float:
    """A clean machine: stop, drop the overlay (everything done inside is gone), boot again."""
    down(files, say)
    files.overlay.unlink(missing_ok=True)
    say("the overlay is dropped: the next boot starts from the clean base image")
    return up(files, say, explain)


def destroy(files: SandboxFiles, say: Progress) -> None:
    down(files, say)
    mounted = mounts_under(files.root)
    if mounted:
        raise SandboxError(f"{mounted[0]} is mounted inside {files.root}: umount it first, nothing was deleted")
    shutil.rmtree(files.root, ignore_errors=True)
    say(f"removed {files.root}")


def status(files: SandboxFiles) -> dict[str, object]:
    pid = running_pid(files)
    state = files.state() if pid else {}
    return {
        "built": files.built,
        "image": str(files.image),
        "image_mib": files.image.stat().st_size // 1024**2 if files.image.exists() else None,
        "up_to_date": files.built and files.stamp.read_text().strip() == recipe.stamp(),
        "running": pid is not None,
        "pid": pid,
        "ssh_port": state.get("port"),
        "accel": state.get("accel"),
    }


def sandbox_target(files: SandboxFiles | None = None) -> Target:
    files = files or SandboxFiles.default()
    return ssh_target(
        "sandbox",
        HOSTNAME,
        int(files.state().get("port", 22)),
        "root",
        "the lpic3 sandbox VM",
        str(files.ssh_config),
        sandbox=True,
    )
