"""Running the sandbox VM: boot it from a throw-away overlay, know when it is ready, reset, stop.

Ready means both: a root shell answers on the serial console (driven with pexpect through the
console's UNIX socket) and SSH answers on a forwarded localhost port with lpic3's own key. KVM
is used only where a timed guest boot has proved it works (checkers.kvm); TCG otherwise.

Every wait is bounded by a budget proportional to what it waits for: the time the step takes
under KVM on an idle machine, times the slowdown of TCG, times the machine's load (the load
average per core). Probes are retried within it, and running out of it is a ``SandboxError``
that says what did not answer in how long, never a traceback and never an endless wait.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pexpect

from checkers.kvm import guest_boots
from checkers.pace import budget
from checkers.session import ShellSession, local_argv
from checkers.targets import Target, ssh_target
from trainer.errors import SandboxError
from trainer.sandbox import recipe
from trainer.sandbox.files import HOSTNAME, SandboxFiles, mounts_under

# Seconds each step takes at most under KVM on an idle machine; budget() scales them.
READY_SECONDS = 45.0  # boot to a shell on the console and SSH (about 4 s measured with KVM, 14 s with TCG)
SSH_PROBE_SECONDS = 10.0  # one `ssh ... true` once sshd listens
CONSOLE_ANSWER_SECONDS = 5.0  # the console shell echoes a command
START_SECONDS = 15.0  # qemu-system-x86_64 -daemonize returns (no guest code runs before it does)
IMG_SECONDS = 15.0  # qemu-img create of the overlay
STOP_SECONDS = 10.0  # QEMU exits after SIGTERM (it flushes the overlay), and again after SIGKILL
PORT_ATTEMPTS = 3
Progress = Callable[[str], None]


def running_pid(files: SandboxFiles) -> int | None:
    """The QEMU process of this sandbox, if it is alive. A PID is taken for it only while its
    command line is QEMU's and names this sandbox's pid file: a PID reused by another process
    (another QEMU included) is never taken for it, so never signalled. A zombie (exited, not yet
    reaped) has an empty command line: not running."""
    try:
        pid = int(files.pidfile.read_text().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv = cmdline.read()
    except (OSError, ValueError):
        return None
    return pid if b"qemu-system" in argv and os.fsencode(files.pidfile) in argv else None


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
    ready_timeout: float | None = None,
) -> float:
    """Boot the sandbox (if it is not running) and wait until it is ready, at most ``ready_timeout``
    seconds (default: ``READY_SECONDS`` scaled by ``budget``); returns the boot seconds.

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
    files.check_private()
    _forget_run(files)  # left behind by a QEMU that was killed
    if not files.overlay.exists():
        command = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(files.image), "-F", "qcow2", str(files.overlay)]
        say("a throw-away overlay on the base image" + (f"\n  $ {' '.join(command)}" if explain else ""))
        _run(command, budget(IMG_SECONDS), "qemu-img create (the overlay)")
    accel = accel or choose_accel()
    deadline = Deadline(ready_timeout or budget(READY_SECONDS, accel))
    say(f"waiting up to {deadline.seconds:.0f} s for it to be ready (-accel {accel}, load {os.getloadavg()[0]:.1f})")
    port = _start_qemu(files, accel, say, explain)
    try:
        _wait_console(files, deadline, accel)
        say(f"serial console answers after {deadline.spent():.1f} s")
        _wait_ssh(files, deadline, accel)
    except SandboxError as exc:
        try:
            down(files, lambda _: None)
        except SandboxError as stuck:
            raise SandboxError(f"{exc.message}; then {stuck.message}") from None
        raise
    seconds = deadline.spent()
    say(f"ready: SSH answers on 127.0.0.1:{port} after {seconds:.1f} s")
    return seconds


class Deadline:
    """One budget shared by the steps of a wait: each step gets what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.start = seconds, time.monotonic()

    def spent(self) -> float:
        return time.monotonic() - self.start

    def left(self) -> float:
        return max(0.0, self.seconds - self.spent())


def _run(command: list[str], seconds: float, what: str) -> subprocess.CompletedProcess[str]:
    """A command that must succeed within ``seconds``; otherwise a SandboxError saying which."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise SandboxError(f"{what} did not finish within {seconds:.0f} s (is the machine very busy?)") from None
    if done.returncode != 0:
        error = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise SandboxError(f"{what} failed: {error[0]}")
    return done


def _start_qemu(files: SandboxFiles, accel: str, say: Progress, explain: bool) -> int:
    """Start QEMU in the background; returns the SSH port. A port taken between choosing it and
    QEMU binding it (another program was quicker) is retried with another port."""
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        command = qemu_command(files, accel, port)
        say(f"booting with -accel {accel}" + (f"\n  $ {' '.join(command)}" if explain else ""))
        files.serial.unlink(missing_ok=True)
        seconds = budget(START_SECONDS)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=seconds, check=False)
        except subprocess.TimeoutExpired:
            down(files, lambda _: None)  # a QEMU that daemonized late is stopped, not left behind
            raise SandboxError(f"QEMU did not start within {seconds:.0f} s (is the machine very busy?)") from None
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


def _wait_console(files: SandboxFiles, deadline: Deadline, accel: str) -> None:
    """A root shell on the serial console (autologin) runs a command and prints its answer. Each
    prompt and answer is waited for at most what is left of the deadline."""
    while not files.serial.exists():
        if not deadline.left():
            raise SandboxError(f"the serial console never appeared within {deadline.seconds:.0f} s")
        _still_running(files)
        time.sleep(0.1)
    token = secrets.token_hex(4)
    answer = budget(CONSOLE_ANSWER_SECONDS, accel)
    console = pexpect.spawn(
        "socat", ["-", f"UNIX-CONNECT:{files.serial}"], encoding="utf-8", codec_errors="replace", timeout=answer
    )
    try:
        while deadline.left():
            console.send("\r")
            prompt = min(answer, deadline.left())
            if console.expect([f"root@{HOSTNAME}", pexpect.TIMEOUT, pexpect.EOF], timeout=prompt) == 0:
                console.sendline(f"echo lpic3-{token}-$((6*7))")
                echoed = min(answer, deadline.left())
                if console.expect([f"lpic3-{token}-42", pexpect.TIMEOUT, pexpect.EOF], timeout=echoed) == 0:
                    return
            _still_running(files)
            if not console.isalive():
                raise SandboxError("the serial console closed before a shell answered")
        raise SandboxError(
            f"the sandbox was not ready in time: no shell on the serial console after {deadline.seconds:.0f} s"
        )
    finally:
        console.close(force=True)


def _wait_ssh(files: SandboxFiles, deadline: Deadline, accel: str) -> None:
    """``ssh ... true`` succeeds. A probe that gets no answer (sshd not listening yet, or the guest
    too slow to finish the handshake) is cut at its own budget and tried again while the deadline
    lasts; what the last one said is in the error."""
    seen = "no attempt"
    while deadline.left():
        _still_running(files)
        seconds = min(budget(SSH_PROBE_SECONDS, accel), deadline.left())
        connect = max(1, int(seconds))
        probe = ["ssh", "-F", str(files.ssh_config), "-o", "BatchMode=yes", "-o", f"ConnectTimeout={connect}"]
        try:
            done = subprocess.run([*probe, HOSTNAME, "true"], capture_output=True, text=True, timeout=seconds)
        except subprocess.TimeoutExpired:
            seen = f"no answer in {seconds:.0f} s"
            continue
        if done.returncode == 0:
            return
        seen = (done.stderr.strip().splitlines() or [f"ssh exited {done.returncode}"])[-1]
        time.sleep(min(0.5, deadline.left()))
    raise SandboxError(
        f"the sandbox was not ready in time: SSH did not answer within {deadline.seconds:.0f} s (last try: {seen})"
    )


def _still_running(files: SandboxFiles) -> None:
    if running_pid(files) is None:
        raise SandboxError("QEMU stopped while the sandbox was booting (killed, or out of memory?)")


def down(files: SandboxFiles, say: Progress) -> None:
    """Stop the sandbox's QEMU and wait until it is gone; only then forget its pid file and state.
    A QEMU that will not exit keeps them (and says so): the next ``down`` can try again."""
    pid = running_pid(files)
    if pid is None:
        say("the sandbox is not running")
    else:
        say(_stop(files, pid))
    with contextlib.suppress(subprocess.TimeoutExpired):  # the kept-open SSH connection dies with the VM anyway
        sandbox_target(files).disconnect()
    _forget_run(files)


def _stop(files: SandboxFiles, pid: int) -> str:
    """SIGTERM (QEMU flushes the overlay and exits), then SIGKILL if it has not exited within its
    budget. Signals go through a pidfd opened on the process that was checked to be this
    sandbox's QEMU, so a PID reused in between can never be hit."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return "the sandbox is stopped (QEMU had already exited)"
    try:
        if running_pid(files) != pid:  # the PID was reused just before the pidfd was opened
            return "the sandbox is stopped (QEMU had already exited)"
        start, seconds = time.monotonic(), budget(STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):  # exited since: the poll below sees it
            signal.pidfd_send_signal(pidfd, signal.SIGTERM)
        if _exits_within(pidfd, seconds):
            return f"the sandbox is stopped (QEMU, pid {pid}, exited {time.monotonic() - start:.1f} s after SIGTERM)"
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        if _exits_within(pidfd, seconds):
            return f"the sandbox is stopped (QEMU, pid {pid}, did not exit within {seconds:.0f} s of SIGTERM: killed)"
        raise SandboxError(
            f"QEMU (pid {pid}) is still running {time.monotonic() - start:.0f} s after SIGTERM and SIGKILL "
            f"(stuck in the kernel?); {files.pidfile} is kept: try `lpic3 sandbox down` again"
        )
    finally:
        os.close(pidfd)


def _exits_within(pidfd: int, seconds: float) -> bool:
    """Whether the process behind ``pidfd`` exits (a zombie counts: it runs nothing) within ``seconds``."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(int(seconds * 1000)))


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
    port = files.state().get("port")
    return ssh_target(
        "sandbox",
        HOSTNAME,
        port if isinstance(port, int) else 22,
        "root",
        "the lpic3 sandbox VM",
        str(files.ssh_config),
        sandbox=True,
    )
