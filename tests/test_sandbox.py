"""The sandbox VM for real: build the image with mmdebstrap, boot it under TCG (KVM only where
proved), restore it from its saved ready state to a clean machine, run it as a Xen dom0, shut it
down through QMP; and the faults: a port in use, a killed QEMU, a machine not ready in time, a
saved state cut short, a QEMU that ignores system_powerdown, a mirror that does not answer, no
space, no QEMU. Everything lives in this test's own LPIC3_HOME, on its own copy of the run's image
(tests/sandbox_image.py); the labs inside the VM: tests/test_sandbox_labs.py."""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers import pace
from checkers.detect import detect
from tests.sandbox_image import MISSING, QUIET, lpic3, remove_copy, sandbox_copy, vm_shell
from trainer.curriculum.loader import load_curriculum
from trainer.labs.render import choose_params
from trainer.labs.selftest import selftest
from trainer.sandbox import recipe, vm
from trainer.sandbox.build import BuildError, build
from trainer.sandbox.files import SandboxFiles
from trainer.sandbox.vm import SandboxError, down, running_pid, status, up

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="these tests build the sandbox image as root (a rootless build: test_sandbox_rootless.py)",
    ),
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]
# Every lab that needs a running Xen hypervisor (requires: xen): their self-test runs in Xen mode.
LABS_ON_XEN = ["351.2-xl-guest-lifecycle", "351.2-troubleshoot-xl-create"]
# A PV guest of the sandbox's own (its kernel and busybox initramfs in /srv/xen), named as a test's.
PV_GUEST = """name = "lpic3-test-pv"
type = "pv"
kernel = "/srv/xen/vmlinuz"
ramdisk = "/srv/xen/busybox-initrd.gz"
extra = "console=hvc0 quiet"
memory = 96
maxmem = 160
"""


def kill_qemu(files: SandboxFiles) -> None:
    """SIGKILL the sandbox's QEMU, as a crash or the OOM killer would (this test's own QEMU only)."""
    pid = running_pid(files)
    assert pid is not None, "no QEMU to kill"
    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """LPIC3_HOME for the module, so `lpic3` run as a command finds the same sandbox."""
    home = tmp_path_factory.mktemp("lpic3-home")
    yield home


@pytest.fixture(scope="module")
def sandbox(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxFiles]:
    files = sandbox_copy(tmp_path_factory, home, work_tree=True)  # rebuilt in place by a test here
    yield files
    remove_copy(files)


def test_build_is_complete_small_and_incremental(sandbox: SandboxFiles) -> None:
    size = sandbox.image.stat().st_size
    assert 200 * 1024**2 < size < 2560 * 1024**2, size  # the tools are in; documentation and caches are not
    assert sandbox.initrd.stat().st_size < 16 * 1024**2  # MODULES=list: a small initrd
    assert sandbox.stamp.read_text().strip() == recipe.stamp()
    lines: list[str] = []
    build(sandbox, lines.append)  # the same recipe: nothing to do
    assert lines[-1].startswith("the image is up to date"), lines
    sandbox.stamp.unlink()  # as if the recipe had changed: the steps done are not repeated
    build(sandbox, lines.append)
    assert "[1/7] mmdebstrap: already done (resuming)" in lines
    assert "[2/7] the exam's tools: already installed (resuming)" in lines
    assert sandbox.built


def test_a_failing_tools_stage_keeps_the_image_there_was(
    sandbox: SandboxFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = sandbox.stamp.read_text()
    monkeypatch.setattr(recipe, "TOOLS", [*recipe.TOOLS, "lpic3-no-such-package"])
    assert not status(sandbox)["up_to_date"]
    with pytest.raises(BuildError, match=r"apt-get install: 1 of the exam's tools .* failed: .*lpic3-no-such-package"):
        build(sandbox, QUIET)
    assert sandbox.built and sandbox.stamp.read_text() == stamp  # the old image, whole, still in use
    monkeypatch.undo()
    assert status(sandbox)["up_to_date"]


def test_up_with_its_first_port_taken_makes_a_ready_machine(
    sandbox: SandboxFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    down(sandbox, QUIET)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    ports = [busy]
    real_free_port = vm.free_port
    monkeypatch.setattr(vm, "free_port", lambda: ports.pop() if ports else real_free_port())
    lines: list[str] = []
    try:
        seconds = up(sandbox, lines.append)
    finally:
        taken.close()
    assert seconds > 0  # within up's own budget, which grows with the load (it raises otherwise)
    assert any(line.startswith("waiting up to ") for line in lines), lines
    assert any("is in use, trying another" in line for line in lines), lines
    info = status(sandbox)
    assert info["running"] and info["accel"] in ("tcg", "kvm") and info["ssh_port"] != busy
    with vm_shell(sandbox) as shell:
        features = detect(shell, ["root", "systemd", "cgroup-v2", "cgroups", "docker", "libvirt", "lxc"])
        assert all(f.available for f in features.values()), features
        assert shell.run("hostname").output.strip() == "lpic3-sandbox"
        # started on demand, not at boot: the sockets are listening, and the detection above woke them
        assert shell.run("systemctl is-enabled docker.service libvirtd.service").output.split() == [
            "disabled",
            "disabled",
        ]


def test_a_restored_machine_is_clean_and_on_time(sandbox: SandboxFiles, home: Path) -> None:
    up(sandbox, QUIET)
    with vm_shell(sandbox) as shell:  # a previous learner's work
        shell.run("touch /root/lpic3-learner && sync")
    # typed on a terminal, as a learner does: the bar is drawn while the saved machine is restored
    command = shlex.join([sys.executable, "-m", "trainer", "sandbox", "reset"])
    env = os.environ | {"LPIC3_HOME": str(home)}
    typed = subprocess.run(
        ["script", "-qec", command, "/dev/null"], env=env, capture_output=True, text=True, timeout=600
    )
    assert typed.returncode == 0, typed.stdout
    assert "\033[K" in typed.stdout  # drawn in place (text mode reads each carriage return as a newline)
    shown = typed.stdout.replace("\033[K", "")
    assert "\nready (restored): SSH answers" in shown, shown
    assert "(QMP quit)" in shown  # no guest shutdown: its disk is thrown away
    assert re.search(r"(?m)^\[#*-*\] +\d+%  restoring: [\d.]+ s \(last time [\d.]+ s\)$", shown), shown
    assert json.loads(sandbox.timings.read_text())[f"restored-{status(sandbox)['accel']}"] > 0
    assert status(sandbox)["mode"] == "restored" and status(sandbox)["saved_state_mib"]
    with vm_shell(sandbox) as shell:
        assert shell.run("ls -A /root | grep -c lpic3-learner").output.strip() == "0"
        assert shell.run("grep -c pam_motd.so /etc/pam.d/sshd").output.strip() == "0"  # logins run no scripts
        before = time.time()
        guest = float(shell.run("date +%s.%N").output.strip())
        after = time.time()
        assert before - 2 <= guest <= after + 2, (before, guest, after)  # set from the host's clock at restore


def test_every_lab_that_needs_xen_runs_in_xen_mode() -> None:
    needs = sorted(e.id for e in load_curriculum().exercises if "xen" in e.requires)
    assert needs == sorted(LABS_ON_XEN)


def test_xen_mode_is_a_dom0_that_runs_pv_guests_and_the_xl_labs(sandbox: SandboxFiles, home: Path) -> None:
    """`sandbox up --xen`: Xen under QEMU (TCG here), the image as its dom0; a PV guest goes through
    its whole life with xl; the xl labs pass their self-test; a reset comes back in Xen mode, clean."""
    down(sandbox, QUIET)
    lines: list[str] = []
    try:
        started = lpic3(home, "sandbox", "up", "--xen", timeout=vm.budget(vm.XEN_READY_SECONDS, "tcg") + 60)
        assert started.returncode == 0, started.stdout + started.stderr
        assert "ready (Xen dom0): xl and SSH answer" in started.stdout, started.stdout
        shown = lpic3(home, "sandbox", "status", "--json")
        assert json.loads(shown.stdout) | {"mode": "xen", "xen": True, "running": True} == json.loads(shown.stdout)
        assert "Xen mode" in lpic3(home, "sandbox", "status").stdout
        with vm_shell(sandbox) as shell:
            assert detect(shell, ["xen"])["xen"].available
            assert re.search(r"(?m)^xen_major\s+: 4$", shell.run("xl info").output)
            shell.run(f"cat > /root/lpic3-test-pv.cfg <<'EOF'\n{PV_GUEST}EOF")
            assert shell.run("xl create /root/lpic3-test-pv.cfg", timeout=120).status == 0
            assert shell.run("xl list lpic3-test-pv").status == 0
            shell.run("xl pause lpic3-test-pv")
            assert re.search(r"lpic3-test-pv\s+\d+\s+\d+\s+\d+\s+\S\Sp", shell.run("xl list lpic3-test-pv").output)
            shell.run("xl unpause lpic3-test-pv && xl mem-set lpic3-test-pv 128m")
            assert '"target_memkb": 131072' in shell.run("xl list -l lpic3-test-pv").output
            saved = shell.run("xl save lpic3-test-pv /root/lpic3-test-pv.save", timeout=120)
            assert saved.status == 0, saved.output
            assert shell.run("xl list lpic3-test-pv").status != 0  # saved: no longer running
            assert shell.run("xl restore /root/lpic3-test-pv.save", timeout=120).status == 0
            assert shell.run("xl list lpic3-test-pv").status == 0
            down_guest = shell.run("xl shutdown -w lpic3-test-pv", timeout=120)  # busybox init powers off
            assert down_guest.status == 0, down_guest.output
            # shut down; the toolstack's teardown of the dead domain may still take a moment on a busy host
            gone = "for i in $(seq 60); do xl list lpic3-test-pv >/dev/null 2>&1 || break; sleep 1; done"
            assert shell.run(f"{gone}; xl list | grep -c lpic3-test-pv", timeout=90).output.strip() == "0"
            exercises = {e.id: e for e in load_curriculum().exercises}
            for lab in LABS_ON_XEN:
                report = selftest(exercises[lab], shell, choose_params(exercises[lab], random.Random(5)))
                assert report.ok, (lab, report.failures)
            shell.run("touch /root/lpic3-learner && xl create /root/lpic3-test-pv.cfg", timeout=120)
        vm.reset(sandbox, lines.append)
        assert status(sandbox)["mode"] == "xen" and any(line.startswith("ready (Xen dom0)") for line in lines), lines
        with vm_shell(sandbox) as shell:
            assert shell.run("ls -A /root | grep -c lpic3-learner").output.strip() == "0"
            assert shell.run("xl list | tail -n +2 | cut -d' ' -f1").output.split() == ["Domain-0"]
    finally:
        down(sandbox, QUIET)


def test_a_labs_reset_can_reset_the_whole_machine(sandbox: SandboxFiles, home: Path) -> None:
    up(sandbox, QUIET)
    lab = "352.1-uts-pid-namespace"
    started = lpic3(home, "lab", "start", lab, "--seed", "1")  # the sandbox is up: it is the default target
    assert started.returncode == 0, started.stderr
    with vm_shell(sandbox) as shell:
        assert shell.run("touch /root/lpic3-dirty && ls /root").output.split() == ["lpic3-dirty"]
        assert shell.run("ls -A /var/lib/lpic3/labs | wc -l").output.strip() == "1"  # the attempt's folder
    done = lpic3(home, "lab", "reset", lab, "--machine")
    assert done.returncode == 0, done.stderr
    assert "clean machine again" in done.stdout
    with vm_shell(sandbox) as shell:
        assert shell.run("ls -A /root | grep -c lpic3-dirty").output.strip() == "0"
        assert shell.run("ls -A /var/lib/lpic3/labs 2>/dev/null | wc -l").output.strip() == "0"
    refused = lpic3(home, "lab", "reset", lab, "--machine", "--target", "local")
    assert refused.returncode == 2 and "resets lpic3's sandbox VM" in refused.stderr


def test_a_killed_qemu_is_noticed_and_up_starts_again(sandbox: SandboxFiles, home: Path) -> None:
    up(sandbox, QUIET)
    kill_qemu(sandbox)
    time.sleep(0.5)
    assert not status(sandbox)["running"]
    gone = lpic3(home, "lab", "check", "352.1-uts-pid-namespace", "--target", "sandbox")
    assert gone.returncode == 2 and "not running" in gone.stderr
    # killed while booting: up says so at once instead of waiting for its timeout
    killer = threading.Timer(3.0, kill_qemu, [sandbox])
    killer.start()
    with pytest.raises(SandboxError, match="QEMU stopped while the sandbox was booting"):
        up(sandbox, QUIET, accel="tcg", saved=False)  # a cold boot: the restore would be over in 3 s
    killer.join()
    assert not sandbox.pidfile.exists() and not sandbox.state_file.exists()
    assert up(sandbox, QUIET, accel="tcg") > 0
    with vm_shell(sandbox) as shell:
        assert shell.run("systemctl is-system-running --wait").output.strip() in ("running", "degraded")


def test_not_ready_in_time_leaves_nothing_running(sandbox: SandboxFiles) -> None:
    down(sandbox, QUIET)
    with pytest.raises(SandboxError, match="not ready in time"):
        up(sandbox, QUIET, accel="tcg", ready_timeout=2, saved=False)  # a restore can be ready in 2 s
    assert running_pid(sandbox) is None and not sandbox.state_file.exists()


def test_qemu_missing_and_port_taken_say_so(sandbox: SandboxFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    down(sandbox, QUIET)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    monkeypatch.setattr(vm, "free_port", lambda: taken.getsockname()[1])
    with pytest.raises(SandboxError, match=r"QEMU did not start: .*host forwarding"):
        up(sandbox, QUIET, accel="tcg")
    taken.close()
    assert running_pid(sandbox) is None and not sandbox.state_file.exists()
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxError, match="qemu-system-x86_64 is not installed"):
        up(sandbox, QUIET)


def test_a_saved_state_cut_short_falls_back_to_a_cold_boot(sandbox: SandboxFiles) -> None:
    down(sandbox, QUIET)
    up(sandbox, QUIET)  # a saved state exists from here on
    down(sandbox, QUIET)
    key = json.loads(sandbox.ready_key.read_text())
    with open(sandbox.ready_state, "r+b") as state:
        state.truncate(sandbox.ready_state.stat().st_size // 2)
    lines: list[str] = []
    up(sandbox, lines.append)
    said = [line for line in lines if "a cold boot instead" in line]
    assert len(said) == 1 and "could not be loaded" in said[0], lines
    assert any(line.startswith("ready (cold boot)") for line in lines), lines
    # a new whole state was saved and used
    assert lines[-1].startswith("ready (restored)") and status(sandbox)["mode"] == "restored", lines
    assert json.loads(sandbox.ready_key.read_text()) == key


def test_down_stops_qemu_through_qmp(sandbox: SandboxFiles) -> None:
    up(sandbox, QUIET)
    pid = running_pid(sandbox)
    lines: list[str] = []
    down(sandbox, lines.append)
    assert "the guest powered off (QMP system_powerdown)" in lines[0], lines
    stat = Path(f"/proc/{pid}/stat")
    # Gone, or a zombie where PID 1 does not reap orphans (as on the CI machine): not running either way.
    assert running_pid(sandbox) is None and (not stat.exists() or stat.read_text().split()[2] == "Z")
    assert not status(sandbox)["running"]


# -- waits and stops without the image: a stand-in QEMU (a real process whose command line names the
# sandbox's pid file, as QEMU's does) and a real SSH port that never finishes the handshake.


STAND_IN = """
import signal, sys, time
if sys.argv[1] == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(600)
"""


def stand_in_qemu(
    files: SandboxFiles, ignore_term: bool = False, pidfile: Path | None = None
) -> subprocess.Popen[bytes]:
    """A real process that running_pid takes for this sandbox's QEMU (or for the QEMU of ``pidfile``):
    its command line names QEMU and the pid file. It says "ready" only once SIGTERM is ignored (when
    asked), so nothing is signalled before then; its own session, so no signal meant for the test's
    process group reaches it."""
    files.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = "ignore-term" if ignore_term else "default"
    argv = [sys.executable, "-c", STAND_IN, mode, "qemu-system-x86_64", "-pidfile", str(pidfile or files.pidfile)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n", "the stand-in QEMU did not start"
    process.stdout.close()
    files.pidfile.write_text(f"{process.pid}\n")
    files.save_state({"port": 22, "accel": "tcg"})
    return process


def gone(process: subprocess.Popen[bytes]) -> bool:
    """Exited (a zombie until reaped counts): it runs nothing any more."""
    stat = Path(f"/proc/{process.pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def silent_ssh_port() -> Iterator[int]:
    """A port whose server sends an SSH banner and then never answers: the client waits in the key
    exchange, as it does when a loaded guest's sshd is too slow to finish it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 lpic3-silent\r\n")
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_xen_mode_loads_the_images_kernel_as_xens_module_and_refuses_a_path_it_cannot_pass() -> None:
    args = vm.machine_args(Path("/s/kernel"), Path("/s/initrd.img"), Path("/s/o.qcow2"), "tcg", Path("/s/xen"))
    assert args[args.index("-kernel") + 1] == "/s/xen"
    assert args[args.index("-append") + 1].startswith("dom0_mem=")
    modules = args[args.index("-initrd") + 1].split(",")
    assert modules == [f"/s/kernel {vm.KERNEL_ARGS} console=hvc0", "/s/initrd.img"]  # Xen boots these as its dom0
    plain = vm.machine_args(Path("/s/kernel"), Path("/s/initrd.img"), Path("/s/o.qcow2"), "tcg")
    assert plain[plain.index("-append") + 1] == f"{vm.KERNEL_ARGS} console=ttyS0"
    with pytest.raises(SandboxError, match=r"Xen mode cannot load /s,1/kernel: a comma or a space"):
        vm.machine_args(Path("/s,1/kernel"), Path("/s,1/initrd.img"), Path("/s/o.qcow2"), "tcg", Path("/s/xen"))


def test_up_on_a_running_sandbox_says_which_mode_it_runs_in(tmp_path: Path) -> None:
    files = SandboxFiles(tmp_path / "sandbox")
    qemu = stand_in_qemu(files)
    try:
        with pytest.raises(SandboxError, match=r"running, but not in Xen mode: `lpic3 sandbox down`, then `up --xen`"):
            up(files, QUIET, xen=True)
        files.save_state({"port": 22, "accel": "tcg", "mode": "xen"})
        lines: list[str] = []
        assert up(files, lines.append) == 0.0 and lines == ["the sandbox is already running (in Xen mode)"]
        assert up(files, QUIET, xen=True) == 0.0
    finally:
        qemu.kill()
        qemu.wait()


def test_a_reset_says_how_long_it_takes_in_its_mode(tmp_path: Path) -> None:
    files = SandboxFiles(tmp_path / "sandbox")
    files.root.mkdir(mode=0o700)
    assert files.reset_takes() == "about 20 s"  # restored from the saved ready state
    files.save_state({"mode": "xen", "port": 22, "accel": "tcg"})
    assert files.reset_takes() == "about a minute: Xen mode boots cold"


def test_an_ssh_probe_that_gets_no_answer_is_retried_then_a_sandbox_error(tmp_path: Path, silent_ssh_port: int) -> None:
    """Fault 10: the probe that hung used to escape as subprocess.TimeoutExpired (a traceback)."""
    files = SandboxFiles(tmp_path / "sandbox")
    qemu = stand_in_qemu(files)
    try:
        vm._write_ssh_config(files, silent_ssh_port)
        start = time.monotonic()
        with pytest.raises(SandboxError, match=r"SSH did not answer within 6 s \(last try: no answer in \d+ s\)"):
            vm._wait_ssh(files, vm.Deadline(6), "tcg")
        assert time.monotonic() - start < 6 + 3  # bounded by the deadline, not by one probe's own budget
    finally:
        qemu.kill()
        qemu.wait()


def test_an_ssh_probe_beside_a_failed_console_stops_when_given_up(tmp_path: Path, silent_ssh_port: int) -> None:
    """A restore asks SSH beside the console: when the console part fails, the probe must end then,
    not hold the failure back until the whole deadline has passed."""
    files = SandboxFiles(tmp_path / "sandbox")
    qemu = stand_in_qemu(files)
    given_up = threading.Event()
    try:
        vm._write_ssh_config(files, silent_ssh_port)
        threading.Timer(1, given_up.set).start()
        start = time.monotonic()
        with pytest.raises(SandboxError, match="SSH did not answer"):
            vm._wait_ssh(files, vm.Deadline(60), "tcg", given_up)
        assert time.monotonic() - start < 1 + vm.budget(vm.SSH_PROBE_SECONDS, "tcg") + 2  # one probe, not 60 s
    finally:
        qemu.kill()
        qemu.wait()


def test_budgets_grow_with_tcg_and_load() -> None:
    assert vm.budget(10, "tcg") == pytest.approx(pace.SLOWDOWN["tcg"] * vm.budget(10, "kvm"), rel=0.2)
    assert 10 <= vm.budget(10, "kvm") <= 10 * pace.MAX_LOAD_FACTOR


def test_down_waits_until_qemu_has_exited(tmp_path: Path) -> None:
    files = SandboxFiles(tmp_path / "sandbox")
    qemu = stand_in_qemu(files)
    lines: list[str] = []
    down(files, lines.append)
    assert gone(qemu), ("down returned while QEMU still ran", lines)
    assert lines and "exited" in lines[0] and "after SIGTERM" in lines[0], lines
    assert not files.pidfile.exists() and not files.state_file.exists()
    qemu.wait()


def test_down_kills_a_qemu_that_ignores_sigterm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault 10: `down` said "stopped" and deleted the pid file while QEMU still ran."""
    monkeypatch.setattr(vm, "STOP_SECONDS", 0.5)
    files = SandboxFiles(tmp_path / "sandbox")
    qemu = stand_in_qemu(files, ignore_term=True)
    lines: list[str] = []
    try:
        down(files, lines.append)
        assert gone(qemu), ("down returned while QEMU still ran", lines)
        assert lines and "did not exit" in lines[0] and "killed" in lines[0], (lines, qemu.wait())
        assert not files.pidfile.exists() and not files.state_file.exists()
    finally:
        qemu.kill()
        qemu.wait()


def test_down_stops_a_qemu_that_ignores_system_powerdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A QEMU whose guest never powers off, and that answers `quit` without quitting (a stand-in
    serving QMP on the sandbox's socket): down goes on to the signals, and says so."""
    monkeypatch.setattr(vm, "POWERDOWN_SECONDS", 0.5)
    monkeypatch.setattr(vm, "STOP_SECONDS", 0.5)
    files = SandboxFiles(tmp_path / "sandbox")
    qemu = stand_in_qemu(files, ignore_term=True)
    asked: list[str] = []
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(files.qmp))
    server.listen()

    def serve() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rwb") as stream:
            stream.write(b'{"QMP": {"version": {}, "capabilities": []}}\n')
            stream.flush()
            for line in stream:
                command = json.loads(line)["execute"]
                asked.append(command)
                answer = {"status": "running", "running": True} if command == "query-status" else {}
                stream.write(json.dumps({"return": answer}).encode() + b"\n")
                stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    lines: list[str] = []
    try:
        down(files, lines.append)
        assert gone(qemu), ("down returned while QEMU still ran", lines)
        assert asked[-2:] == ["system_powerdown", "quit"], asked
        assert "ignored system_powerdown" in lines[0] and "killed" in lines[0], lines
        assert not files.pidfile.exists() and not files.state_file.exists() and not files.qmp.exists()
    finally:
        server.close()
        qemu.kill()
        qemu.wait()
        thread.join(5)


def test_down_never_signals_a_pid_that_is_not_this_sandboxs_qemu(tmp_path: Path) -> None:
    """The pid file names a PID now used by another QEMU (another sandbox's): it is left alone."""
    files = SandboxFiles(tmp_path / "sandbox")
    other = stand_in_qemu(files, pidfile=tmp_path / "other" / "qemu.pid")
    lines: list[str] = []
    try:
        assert running_pid(files) is None
        down(files, lines.append)
        assert lines == ["the sandbox is not running"]
        time.sleep(0.2)
        assert not gone(other), "down signalled a process that was not its QEMU"
        assert not files.pidfile.exists()  # what a QEMU that is gone left behind is forgotten
    finally:
        other.kill()
        other.wait()


def test_a_mirror_that_does_not_answer_leaves_no_half_build(tmp_path: Path) -> None:
    files = SandboxFiles(tmp_path / "sandbox")
    with pytest.raises(BuildError, match=r"mmdebstrap: .* failed: .*127\.0\.0\.1:9"):
        build(files, QUIET, mirror="http://127.0.0.1:9/debian")
    assert not files.built and not (files.root / "build/rootfs.done").exists() and not files.image.exists()


def test_no_space_is_refused_before_anything_starts(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "lpic3-test-small", small], check=True)
    try:
        with pytest.raises(BuildError, match=r"only \d+ MiB free under .*needs about 6 GiB"):
            build(SandboxFiles(small / "sandbox"), QUIET)
        assert os.listdir(small / "sandbox") == []
    finally:
        subprocess.run(["umount", small], check=True)


def test_no_image_or_an_incomplete_one_says_what_to_do(tmp_path: Path) -> None:
    empty = SandboxFiles(tmp_path / "none")
    with pytest.raises(SandboxError, match="no sandbox image yet"):
        up(empty, QUIET)
    old = SandboxFiles(tmp_path / "old")  # built before the Xen hypervisor was taken out of the image
    old.root.mkdir()
    for part in (old.image, old.kernel, old.initrd, old.key, old.known_hosts, old.stamp):
        part.write_text("")
    with pytest.raises(SandboxError, match=r"/old lacks xen \(built by an older lpic3.*sandbox build` completes"):
        up(old, QUIET, xen=True)
    assert running_pid(old) is None and not old.overlay.exists()
