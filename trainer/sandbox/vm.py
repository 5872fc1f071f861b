"""Running the sandbox VM: boot it from a throw-away overlay, know when it is ready, reset, stop.

Ready means both: a root shell answers on the serial console (driven with pexpect through the
console's UNIX socket) and SSH answers on a forwarded localhost port with lpic3's own key. KVM
is used only where a timed guest boot has proved it works (checkers.kvm); TCG otherwise.

A machine that was ready once is saved (QEMU's migration of its RAM and devices to a file, with
the disk it saw kept as a read-only "ready" layer); later ``up`` and ``reset`` restore it into a
fresh throw-away overlay instead of booting, and fall back to the cold boot when the saved state
is missing, made for another image, QEMU or machine, or fails to load.

Every wait is bounded by a budget proportional to what it waits for: the time the step takes
under KVM on an idle machine, times the slowdown of TCG, times the machine's load (the load
average per core). Probes are retried within it, and running out of it is a ``SandboxError``
that says what did not answer in how long, never a traceback and never an endless wait.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import select
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pexpect

from checkers.kvm import guest_boots
from checkers.pace import budget
from checkers.session import ShellSession, local_argv
from checkers.targets import Target, ssh_target
from trainer.errors import SandboxError
from trainer.sandbox import recipe
from trainer.sandbox.files import HOSTNAME, SandboxFiles, mounts_under
from trainer.sandbox.progress import Bar, Ticker
from trainer.sandbox.qmp import Qmp, QmpError
from trainer.sandbox.rootless import remove_tree

# Seconds each step takes at most under KVM on an idle machine; budget() scales them.
READY_SECONDS = 45.0  # boot to a shell on the console and SSH (about 4 s measured with KVM, 14 s with TCG)
SSH_PROBE_SECONDS = 10.0  # one `ssh ... true` once sshd listens
CLOCK_TOLERANCE = 0.2  # seconds the restored guest's clock may be off before it is moved again
CONSOLE_ANSWER_SECONDS = 5.0  # the console shell echoes a command
START_SECONDS = 15.0  # qemu-system-x86_64 -daemonize returns (no guest code runs before it does)
IMG_SECONDS = 15.0  # qemu-img create of the overlay
STOP_SECONDS = 10.0  # QEMU exits after `quit` or SIGTERM (it flushes the overlay), and again after SIGKILL
POWERDOWN_SECONDS = 10.0  # the guest powers off after system_powerdown (systemd stops its units)
QMP_SECONDS = 5.0  # QEMU answers one QMP command
SETTLE_SECONDS = 60.0  # `systemctl is-system-running --wait` after a cold boot, before its state is saved
SAVE_SECONDS = 30.0  # the paused machine's RAM and devices are written to the state file
RESTORE_SECONDS = 15.0  # QEMU loads the saved state, the console and SSH answer
XEN_READY_SECONDS = 90.0  # Xen mode: the hypervisor, then the dom0's boot, then xl answers (never saved)
XL_PROBE_SECONDS = 10.0  # one `xl list` once the dom0 is up
# What the phases of `up` typically take (idle, KVM; scaled like the budgets): the bar's first guess,
# before this machine has measured them itself (Ticker).
TYPICAL_BOOT, TYPICAL_XEN_BOOT, TYPICAL_SSH, TYPICAL_RESTORE, TYPICAL_SAVE = 4.0, 15.0, 1.0, 0.7, 3.0
PORT_ATTEMPTS = 3
# The kernel's command line (its console is added for each mode); the image's kernel is taken
# uncompressed at build time when it can be (PVH entry). net.ifnames=0: eth0 keeps its name, so the
# guest can set its address before udev runs.
KERNEL_ARGS = "root=LABEL=root rw net.ifnames=0 quiet"
# Xen's own command line in Xen mode: 1 GiB of the machine's 2 for the dom0 (the rest is for the
# learner's guests), Xen's messages and the dom0's console on the serial port.
XEN_ARGS = "dom0_mem=1024M,max:1024M console=com1 com1=115200,8n1"
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


def machine_args(kernel: Path, initrd: Path, disk: Path, accel: str, xen: Path | None = None) -> list[str]:
    """The sandbox machine: what every boot of it has in common. With ``xen`` (the hypervisor),
    QEMU's multiboot loader starts Xen, which starts the image's kernel and initrd (its modules) as
    its dom0; the hypervisor owns the serial port, and the dom0's console is Xen's (hvc0)."""
    if xen is None:
        boot = ["-kernel", str(kernel), "-initrd", str(initrd), "-append", KERNEL_ARGS + " console=ttyS0"]
    else:
        for path in (kernel, initrd):  # a module list is "FILE ARGS,FILE": no room for these in a path
            if "," in str(path) or " " in str(path):
                raise SandboxError(f"Xen mode cannot load {path}: a comma or a space in the path (set LPIC3_HOME)")
        modules = f"{kernel} {KERNEL_ARGS} console=hvc0,{initrd}"
        boot = ["-kernel", str(xen), "-append", XEN_ARGS, "-initrd", modules]
    return [
        "qemu-system-x86_64",
        "-name", HOSTNAME,
        "-accel", accel,
        "-m", "2048",
        "-smp", "2",
        "-nodefaults",  # no VGA, CD-ROM, floppy or default NIC: less for the guest to probe
        "-display", "none",
        *boot,
        "-drive", f"file={disk},if=virtio,format=qcow2",
    ]  # fmt: skip


def qemu_command(
    files: SandboxFiles, accel: str, port: int, incoming: Path | None = None, xen: bool = False
) -> list[str]:
    """The QEMU command line of `sandbox up` (shown by --explain: each option is exam material).
    A restore (``incoming``: the saved state) has the very same devices; only the host side of the
    SSH forward differs, and the machine stays paused (-S) until the state is loaded and `cont` sent."""
    restore = ["-S", "-incoming", f"exec:cat {shlex.quote(str(incoming))}"] if incoming else []
    return [
        *machine_args(files.kernel, files.initrd, files.overlay, accel, files.xen if xen else None),
        "-daemonize",
        "-pidfile", str(files.pidfile),
        "-serial", f"unix:{files.serial},server=on,wait=off",
        "-qmp", f"unix:{files.qmp},server=on,wait=off",
        "-nic", f"user,model=virtio-net-pci,{recipe.SLIRP_NET},hostfwd=tcp:127.0.0.1:{port}-:22",
        *restore,
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
    saved: bool = True,
    xen: bool = False,
    bar: Bar | None = None,
) -> float:
    """Make the sandbox ready (if it is not running), at most ``ready_timeout`` seconds for the boot
    or restore (default: its own budget); returns those seconds. Every start is a clean machine on
    a fresh throw-away overlay: restored from the saved ready state when one fits (``saved``), a
    cold boot otherwise, whose ready state is then saved for the next time. ``xen``: the machine
    boots as a Xen dom0 (always cold: it is ready once ``xl`` answers too). ``bar`` is drawn while
    it waits (``Ticker``).

    Whatever goes wrong on the way (QEMU refuses to start, stops, or the machine is not ready in
    time), QEMU is stopped again and the state files are removed: no half-started sandbox stays.
    """
    if running_pid(files):
        running_xen = files.state().get("mode") == "xen"
        if xen and not running_xen:
            raise SandboxError("the sandbox is running, but not in Xen mode: `lpic3 sandbox down`, then `up --xen`")
        say("the sandbox is already running" + (" (in Xen mode)" if running_xen else ""))
        return 0.0
    missing = files.missing_parts()
    if files.image.name in missing:
        raise SandboxError("no sandbox image yet: run `lpic3 sandbox build` first")
    if missing:
        raise SandboxError(
            f"the sandbox image in {files.root} lacks {', '.join(missing)} (built by an older lpic3, or its build "
            "stopped): `lpic3 sandbox build` completes it"
        )
    if not shutil.which("qemu-system-x86_64"):
        raise SandboxError("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)")
    files.check_private()
    _forget_run(files)  # left behind by a QEMU that was killed
    accel = accel or choose_accel()
    with Ticker(bar, files.timings) as ticker:
        if xen:
            return _cold_boot(files, say, explain, accel, ready_timeout, ticker, xen=True)
        if saved and _saved_state_fits(files, accel, say):
            try:
                return _restore(files, say, explain, accel, ready_timeout, ticker)
            except RestoreError as exc:
                ticker.abandon()
                say(f"{exc.message}: a cold boot instead, and a new state is saved")
                files.forget_ready()
        seconds = _cold_boot(files, say, explain, accel, ready_timeout, ticker)
        if not saved:
            return seconds
        _save_ready(files, say, accel, ticker)
        return _restore(files, say, explain, accel, ready_timeout, ticker)


class RestoreError(SandboxError):
    """The saved state did not load (cut short, damaged): the cold boot is used instead."""


def _fresh_overlay(files: SandboxFiles, backing: Path, say: Progress, explain: bool) -> None:
    """A new, empty overlay: whatever the last machine wrote is gone."""
    files.overlay.unlink(missing_ok=True)
    command = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(backing), "-F", "qcow2", str(files.overlay)]
    what = "the clean base image" if backing == files.image else "the saved ready disk"
    say(f"a throw-away overlay on {what}" + (f"\n  $ {shlex.join(command)}" if explain else ""))
    _run(command, budget(IMG_SECONDS), "qemu-img create (the overlay)")


def _cold_boot(
    files: SandboxFiles,
    say: Progress,
    explain: bool,
    accel: str,
    ready_timeout: float | None,
    ticker: Ticker,
    xen: bool = False,
) -> float:
    _fresh_overlay(files, files.image, say, explain)
    deadline = Deadline(ready_timeout or budget(XEN_READY_SECONDS if xen else READY_SECONDS, accel))
    say(f"waiting up to {deadline.seconds:.0f} s for it to be ready (-accel {accel}, load {os.getloadavg()[0]:.1f})")
    mode = "xen" if xen else "cold"
    booting = "booting Xen" if xen else "booting"
    ticker.phase(f"{mode}-{accel}-console", booting, budget(TYPICAL_XEN_BOOT if xen else TYPICAL_BOOT, accel))
    port = _start_qemu(files, accel, say, explain, mode, xen=xen)
    with _stopped_on_failure(files):
        _wait_console(files, deadline, accel)
        console = "the dom0's console (Xen's, on the serial port)" if xen else "serial console"
        say(f"{console} answers after {deadline.spent():.1f} s")
        ticker.phase(f"{mode}-{accel}-ssh", "waiting for SSH", budget(TYPICAL_SSH, accel))
        _wait_ssh(files, deadline, accel)
        if xen:
            ticker.phase(f"xen-{accel}-xl", "waiting for xl", budget(TYPICAL_SSH, accel))
            _wait_xl(files, deadline, accel)
    seconds = deadline.spent()
    what = "Xen dom0): xl and SSH answer" if xen else "cold boot): SSH answers"
    say(f"ready ({what} on 127.0.0.1:{port} after {seconds:.1f} s")
    return seconds


def _restore(
    files: SandboxFiles, say: Progress, explain: bool, accel: str, ready_timeout: float | None, ticker: Ticker
) -> float:
    """Start QEMU paused on the saved state, let it run, set the guest's clock (it stopped when the
    state was saved) and stir host randomness into its pool (every restore starts from the same RNG
    state) on the serial console at once, while SSH is asked beside it: its handshake takes a second
    or two of the guest's crypto under TCG, and neither needs the other."""
    _fresh_overlay(files, files.ready_layer, say, explain)
    deadline = Deadline(ready_timeout or budget(RESTORE_SECONDS, accel))
    say(
        f"waiting up to {deadline.seconds:.0f} s for the saved ready machine to be restored "
        f"(-accel {accel}, load {os.getloadavg()[0]:.1f})"
    )
    ticker.phase(f"restored-{accel}", "restoring", budget(TYPICAL_RESTORE, accel))
    port = _start_qemu(files, accel, say, explain, "restored", incoming=files.ready_state)
    with _stopped_on_failure(files):
        _wait_loaded(files, deadline)
        say(f"state loaded after {deadline.spent():.1f} s")
        given_up = threading.Event()  # the console failed: the SSH probe stops at once, not at the deadline
        with ThreadPoolExecutor(1, thread_name_prefix="lpic3-ssh-probe") as pool:
            ssh = pool.submit(_wait_ssh, files, deadline, accel, given_up)
            try:
                _wait_console(files, deadline, accel, set_clock=True)
            except BaseException:
                given_up.set()
                raise
            say(f"serial console answers, guest clock set from the host's after {deadline.spent():.1f} s")
            ssh.result()
    seconds = deadline.spent()
    say(f"ready (restored): SSH answers on 127.0.0.1:{port} after {seconds:.1f} s")
    return seconds


@contextlib.contextmanager
def _stopped_on_failure(files: SandboxFiles) -> Iterator[None]:
    """A start that fails stops its QEMU: no half-started sandbox stays."""
    try:
        yield
    except SandboxError as exc:
        try:
            down(files, lambda _: None)
        except SandboxError as stuck:
            raise SandboxError(f"{exc.message}; then {stuck.message}") from None
        raise


def _wait_loaded(files: SandboxFiles, deadline: Deadline) -> None:
    """The incoming state is loaded (QEMU paused, waiting for `cont`); then the machine runs. A QEMU
    that exits while loading it (QEMU ends on a state it cannot load) is a RestoreError."""
    late = f"the sandbox was not ready in time: QEMU did not load its saved state in {deadline.seconds:.0f} s"
    while True:
        try:
            with Qmp(files.qmp, max(1.0, deadline.left())) as qmp:
                while (state := qmp.execute("query-status")["status"]) == "inmigrate":
                    if not deadline.left():
                        raise SandboxError(late)
                    time.sleep(0.05)
                if state != "paused":
                    raise RestoreError(f"the saved state did not load (QEMU is {state})")
                qmp.execute("cont")
                return
        except QmpError as exc:
            if running_pid(files) is None:
                raise RestoreError("the saved state could not be loaded (QEMU exited: cut short or damaged?)") from None
            if not deadline.left():
                raise SandboxError(f"{late} ({exc})") from None
            time.sleep(0.1)


def _state_key(files: SandboxFiles, accel: str) -> dict[str, object]:
    """What a saved state fits: this image (its stamp and file), this QEMU, this machine."""
    image = files.image.stat()
    version = _run(["qemu-system-x86_64", "--version"], budget(START_SECONDS), "qemu-system-x86_64 --version")
    machine = machine_args(Path("K"), Path("I"), Path("D"), accel)
    return {
        "stamp": files.stamp.read_text().strip(),
        "image": [image.st_size, image.st_mtime_ns],
        "qemu": version.stdout.splitlines()[0].strip(),
        "machine": " ".join(machine),
    }


def _saved_state_fits(files: SandboxFiles, accel: str, say: Progress) -> bool:
    """Whether a saved state fits; if one is there but does not, it is dropped and the reason said
    (once: the cold boot that follows saves a new one)."""
    try:
        saved = json.loads(files.ready_key.read_text())
    except (OSError, ValueError):
        files.forget_ready()
        say("no saved ready state yet: a cold boot, then its ready state is saved")
        return False
    key = _state_key(files, accel)
    stale = [what for what in key if saved.get(what) != key[what]]
    if stale or not (files.ready_layer.exists() and files.ready_state.exists()):
        files.forget_ready()
        why = {"stamp": "another image", "image": "another image", "qemu": f"another QEMU ({saved.get('qemu')})",
               "machine": "another machine (-accel or devices)"}  # fmt: skip
        reason = ", ".join(dict.fromkeys(why[what] for what in stale)) or "missing files"
        say(f"the saved ready state does not fit ({reason}): a cold boot, then a new state is saved")
        return False
    return True


def _save_ready(files: SandboxFiles, say: Progress, accel: str, ticker: Ticker) -> None:
    """Save the ready machine once: let it settle, pause it, migrate its RAM and devices to the
    state file, quit QEMU; its overlay (exactly the disk the saved RAM saw) becomes the read-only
    ready layer. The key is written last: a state is used only once it is whole."""
    start = time.monotonic()
    settle = budget(SETTLE_SECONDS, accel)
    ticker.phase(f"save-{accel}", "saving the ready state", budget(TYPICAL_SAVE, accel))
    with contextlib.suppress(subprocess.TimeoutExpired):  # not settled in time: saved as it is
        ssh = ["ssh", "-F", str(files.ssh_config), "-o", "BatchMode=yes", HOSTNAME]
        subprocess.run([*ssh, "systemctl is-system-running --wait"], capture_output=True, timeout=settle, check=False)
    partial = files.ready_state.with_suffix(".part")
    with _stopped_on_failure(files):
        pidfd = os.pidfd_open(_pid(files))
        try:
            with Qmp(files.qmp, budget(QMP_SECONDS)) as qmp:
                qmp.execute("stop")
                qmp.execute("migrate", uri=f"exec:cat > {shlex.quote(str(partial))}")
                deadline = Deadline(budget(SAVE_SECONDS, accel))
                while (state := qmp.execute("query-migrate").get("status")) not in ("completed", "failed", "cancelled"):
                    if not deadline.left():
                        raise SandboxError(f"saving the ready state took more than {deadline.seconds:.0f} s")
                    time.sleep(0.1)
                if state != "completed":
                    raise SandboxError(f"saving the ready state failed (migration {state})")
                with contextlib.suppress(QmpError):  # QEMU may close the socket as it quits
                    qmp.execute("quit")
        except QmpError as exc:
            raise SandboxError(f"saving the ready state failed: {exc}") from None
        finally:
            exited = _exits_within(pidfd, budget(STOP_SECONDS))
            os.close(pidfd)
        if not exited:
            raise SandboxError("QEMU did not quit after saving the ready state")
    _disconnect(files)
    _forget_run(files)
    files.overlay.replace(files.ready_layer)
    files.ready_layer.chmod(0o444)
    partial.replace(files.ready_state)
    tmp = files.ready_key.with_suffix(".tmp")
    tmp.write_text(json.dumps(_state_key(files, accel)))
    tmp.replace(files.ready_key)
    size = files.ready_state.stat().st_size / 1024**2
    say(f"ready state saved in {time.monotonic() - start:.1f} s ({size:.0f} MiB): the next start restores it")


def _pid(files: SandboxFiles) -> int:
    pid = running_pid(files)
    if pid is None:
        raise SandboxError("QEMU stopped before its ready state could be saved")
    return pid


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


def _start_qemu(
    files: SandboxFiles,
    accel: str,
    say: Progress,
    explain: bool,
    mode: str,
    incoming: Path | None = None,
    xen: bool = False,
) -> int:
    """Start QEMU in the background; returns the SSH port. A port taken between choosing it and
    QEMU binding it (another program was quicker) is retried with another port."""
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        command = qemu_command(files, accel, port, incoming, xen)
        starting = "restoring" if incoming else "booting Xen, then its dom0," if xen else "booting"
        say(f"{starting} with -accel {accel}" + (f"\n  $ {shlex.join(command)}" if explain else ""))
        files.serial.unlink(missing_ok=True)
        files.qmp.unlink(missing_ok=True)
        seconds = budget(START_SECONDS)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=seconds, check=False)
        except subprocess.TimeoutExpired:
            down(files, lambda _: None)  # a QEMU that daemonized late is stopped, not left behind
            raise SandboxError(f"QEMU did not start within {seconds:.0f} s (is the machine very busy?)") from None
        if done.returncode == 0:
            files.save_state({"port": port, "accel": accel, "mode": mode, "started": time.time()})
            _write_ssh_config(files, port)
            return port
        error = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        if "host forwarding" not in error[0] or attempt == PORT_ATTEMPTS - 1:
            raise SandboxError(f"QEMU did not start: {error[0]}")
        say(f"port {port} is in use, trying another")
    raise AssertionError("unreachable")


def _forget_run(files: SandboxFiles) -> None:
    for path in (files.pidfile, files.serial, files.qmp, files.state_file):
        path.unlink(missing_ok=True)


def _write_ssh_config(files: SandboxFiles, port: int) -> None:
    files.ssh_config.write_text(
        f"Host {HOSTNAME}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {files.key}\n"
        f"  IdentitiesOnly yes\n  UserKnownHostsFile {files.known_hosts}\n  HostKeyAlias {HOSTNAME}\n"
    )


def _wait_console(files: SandboxFiles, deadline: Deadline, accel: str, set_clock: bool = False) -> None:
    """A root shell on the serial console (autologin) runs a command and prints its answer. Each
    prompt and answer is waited for at most what is left of the deadline. With ``set_clock`` (a
    restored machine) the command also sets the guest's clock to the host's time, taken as it is
    sent (the console has no handshake to wait for, unlike SSH), and feeds host randomness to it."""
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
                fixes = f"echo {secrets.token_hex(32)} >/dev/urandom; date -s @{time.time():.3f} >/dev/null; "
                console.sendline(f"{fixes if set_clock else ''}echo lpic3-{token}-$((6*7))")
                echoed = min(answer, deadline.left())
                if console.expect([f"lpic3-{token}-42", pexpect.TIMEOUT, pexpect.EOF], timeout=echoed) == 0:
                    if set_clock:
                        _correct_clock(console, token, min(answer, deadline.left()))
                    return
            _still_running(files)
            if not console.isalive():
                raise SandboxError("the serial console closed before a shell answered")
        raise SandboxError(
            f"the sandbox was not ready in time: no shell on the serial console after {deadline.seconds:.0f} s"
        )
    finally:
        console.close(force=True)


def _correct_clock(console: pexpect.spawn[str], token: str, seconds: float) -> None:
    """The clock set as the command was sent is behind by however long a loaded guest took to run it
    (seconds, under TCG on a busy host). So measure as NTP does: the guest's time against the host's
    before and after asking; half the round trip is the error left. Then move the guest's clock by
    the difference, in the guest's own arithmetic (nanoseconds), so no transit time is added again.
    A guest that does not answer in time keeps the clock it has: a few seconds off, never a failure."""
    before = time.time()
    console.sendline(f"echo lpic3-{token}-clock $(date +%s.%N)")
    if console.expect([rf"lpic3-{token}-clock (\d+\.\d+)", pexpect.TIMEOUT, pexpect.EOF], timeout=seconds) != 0:
        return
    after = time.time()
    assert isinstance(console.match, re.Match)
    offset = (before + after) / 2 - float(console.match.group(1))
    if abs(offset) < CLOCK_TOLERANCE:
        return
    console.sendline(
        f"n=$(( $(date +%s%N) + {round(offset * 1e9)} )); date -s @${{n:0:-9}}.${{n: -9}} >/dev/null; "
        f"echo lpic3-{token}-set-$((6*7))"
    )
    console.expect([f"lpic3-{token}-set-42", pexpect.TIMEOUT, pexpect.EOF], timeout=seconds)


def _wait_ssh(files: SandboxFiles, deadline: Deadline, accel: str, given_up: threading.Event | None = None) -> None:
    """``ssh ... true`` succeeds (and nobody has ``given_up``)."""
    _probe_until(files, deadline, accel, "true", SSH_PROBE_SECONDS, "SSH did not answer", given_up=given_up)


def _wait_xl(files: SandboxFiles, deadline: Deadline, accel: str) -> None:
    """Xen mode: ``xl list`` answers in the dom0 (xenstored and the toolstack are up)."""
    what = "xl did not answer in the dom0"
    _probe_until(files, deadline, accel, "xl list", XL_PROBE_SECONDS, what, lambda out: "Domain-0" in out, 1.0)


def _probe_until(
    files: SandboxFiles,
    deadline: Deadline,
    accel: str,
    command: str,
    probe_seconds: float,
    what: str,
    answered: Callable[[str], bool] = lambda _: True,
    pause: float = 0.5,
    given_up: threading.Event | None = None,
) -> None:
    """Run ``command`` over SSH until it succeeds with an output ``answered`` accepts. A probe that
    gets no answer (sshd not listening yet, or the guest too slow to finish the handshake) is cut
    at its own budget and tried again while the deadline lasts; what the last one said is in the
    error."""
    seen = "no attempt"
    while deadline.left() and not (given_up and given_up.is_set()):
        _still_running(files)
        seconds = min(budget(probe_seconds, accel), deadline.left())
        ssh = [
            "ssh",
            "-F",
            str(files.ssh_config),
            "-o",
            "BatchMode=yes",
            "-o",
            f"ConnectTimeout={max(1, int(seconds))}",
        ]
        try:
            done = subprocess.run([*ssh, HOSTNAME, command], capture_output=True, text=True, timeout=seconds)
        except subprocess.TimeoutExpired:
            seen = f"no answer in {seconds:.0f} s"
            continue
        if done.returncode == 0 and answered(done.stdout):
            return
        seen = (done.stderr.strip().splitlines() or [f"ssh {HOSTNAME} {command} exited {done.returncode}"])[-1]
        time.sleep(min(pause, deadline.left()))
    raise SandboxError(f"the sandbox was not ready in time: {what} within {deadline.seconds:.0f} s (last try: {seen})")


def _still_running(files: SandboxFiles) -> None:
    if running_pid(files) is None:
        raise SandboxError("QEMU stopped while the sandbox was booting (killed, or out of memory?)")


def down(files: SandboxFiles, say: Progress, graceful: bool = True) -> None:
    """Stop the sandbox's QEMU and wait until it is gone; only then forget its pid file and state.
    A QEMU that will not exit keeps them (and says so): the next ``down`` can try again. Not
    ``graceful``: QMP ``quit`` at once, without letting the guest shut down (its disk is thrown away)."""
    pid = running_pid(files)
    if pid is None:
        say("the sandbox is not running")
    else:
        say(_stop(files, pid, graceful))
    _disconnect(files)
    _forget_run(files)


def _disconnect(files: SandboxFiles) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):  # the kept-open SSH connection dies with the VM anyway
        sandbox_target(files).disconnect()


def _stop(files: SandboxFiles, pid: int, graceful: bool = True) -> str:
    """Through QMP first: ``system_powerdown`` (the guest shuts down and QEMU exits), then ``quit``;
    only a QEMU still there after those gets SIGTERM, then SIGKILL, each with its budget. Signals go
    through a pidfd opened on the process that was checked to be this sandbox's QEMU, so a PID
    reused in between can never be hit. The message says which way it stopped."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return "the sandbox is stopped (QEMU had already exited)"
    try:
        if running_pid(files) != pid:  # the PID was reused just before the pidfd was opened
            return "the sandbox is stopped (QEMU had already exited)"
        start, seconds = time.monotonic(), budget(STOP_SECONDS)
        stopped, tried = _stop_by_qmp(files, pidfd, graceful)
        head = f"the sandbox is stopped (QEMU, pid {pid}, "
        if stopped:
            return f"{head}{stopped} after {time.monotonic() - start:.1f} s)"
        with contextlib.suppress(ProcessLookupError):  # exited since: the poll below sees it
            signal.pidfd_send_signal(pidfd, signal.SIGTERM)
        if _exits_within(pidfd, seconds):
            return f"{head}{tried}exited {time.monotonic() - start:.1f} s after SIGTERM)"
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        if _exits_within(pidfd, seconds):
            return f"{head}{tried}did not exit within {seconds:.0f} s of SIGTERM: killed)"
        raise SandboxError(
            f"QEMU (pid {pid}) is still running {time.monotonic() - start:.0f} s after SIGTERM and SIGKILL "
            f"(stuck in the kernel?); {files.pidfile} is kept: try `lpic3 sandbox down` again"
        )
    finally:
        os.close(pidfd)


def _stop_by_qmp(files: SandboxFiles, pidfd: int, graceful: bool) -> tuple[str, str]:
    """``system_powerdown`` to a running guest (when ``graceful``), then ``quit``; returns how QEMU
    stopped ("" if it did not) and what was tried, for the message of the signals that follow."""
    accel = str(files.state().get("accel", "tcg"))
    tried = ""
    try:
        with Qmp(files.qmp, budget(QMP_SECONDS)) as qmp:
            if graceful and qmp.execute("query-status").get("running"):
                qmp.execute("system_powerdown")
                seconds = budget(POWERDOWN_SECONDS, accel)
                if _exits_within(pidfd, seconds):
                    return "the guest powered off (QMP system_powerdown)", tried
                tried = f"the guest ignored system_powerdown for {seconds:.0f} s, "
            with contextlib.suppress(QmpError):  # QEMU may close the socket before it answers
                qmp.execute("quit")
    except QmpError as exc:
        return "", f"{tried}QMP: {exc}, "
    if _exits_within(pidfd, budget(STOP_SECONDS)):
        return f"{tried}QEMU quit (QMP quit)", tried
    return "", f"{tried}QMP quit ignored, "


def _exits_within(pidfd: int, seconds: float) -> bool:
    """Whether the process behind ``pidfd`` exits (a zombie counts: it runs nothing) within ``seconds``."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(int(seconds * 1000)))


def reset(files: SandboxFiles, say: Progress, explain: bool = False, bar: Bar | None = None) -> float:
    """A clean machine: stop, start again on a fresh overlay (everything done inside is gone). The
    guest is not shut down first: its overlay is thrown away, and a shutdown under TCG takes 20 s.
    A machine in Xen mode comes back in Xen mode."""
    xen = files.state().get("mode") == "xen" and running_pid(files) is not None
    down(files, say, graceful=False)
    files.overlay.unlink(missing_ok=True)
    say("the overlay is dropped: the machine starts clean")
    return up(files, say, explain, xen=xen, bar=bar)


def destroy(files: SandboxFiles, say: Progress) -> None:
    down(files, say)
    mounted = mounts_under(files.root)
    if mounted:
        raise SandboxError(f"{mounted[0]} is mounted inside {files.root}: umount it first, nothing was deleted")
    remove_tree(files.root)
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
        "mode": state.get("mode"),
        "xen": state.get("mode") == "xen",
        "saved_state_mib": files.ready_state.stat().st_size // 1024**2 if files.ready_key.exists() else None,
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
