"""Files mounted over kernel files: checks read the kernel's own, and fail as tampered.

A learner who binds a forged file over /proc/PID/status, /proc/cpuinfo, /proc/PID/cgroup or a
cgroup control file would otherwise make a check read the forgery. Each test here makes a real
process (and a cgroup of its own where it needs one), forges what a check reads so that, believed,
it would turn the check's verdict, and binds the forgery over the kernel's file. Every mount is made
inside a private mount namespace of the test: the checking session's shell is started in one
(``unshare --mount --propagation private``) and the test mounts through that session, so the host's
mount tree, and other tests running beside, never see them. Each test also proves the verdict is
right without the forgery, and that the session's own shell really sees the forgery while the
kernel view (``checkers.kernelfiles``) reads the truth.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from checkers.kernelfiles import WHOLE, Mount, parse_mount, problem, run_in_view
from checkers.privdir import lab_root
from checkers.probes import FAIL, PASS, Verdict, run_probe
from checkers.record import Recorder
from checkers.session import ShellSession, local_argv
from trainer.curriculum.loader import load_curriculum
from trainer.labs.render import choose_params
from trainer.labs.runner import run_check, run_script

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts and mount namespaces need root")

PRIVATE = ("/usr/bin/unshare", "--mount", "--propagation", "private", "--")
TAMPERED = "the check reads the kernel's state, not a file put there"


def private_session(before: str = "") -> ShellSession:
    """A checking session whose shell lives in a mount namespace of the test's own; ``before``: shell
    text run there before the session's shell (and its kernel view) starts."""
    argv = [*PRIVATE, *local_argv()]
    if before:
        argv = [*PRIVATE, "/bin/bash", "-euc", f'{before}\nexec "$@"', "forge", *local_argv()]
    return ShellSession(argv, "a private mount namespace of the test")


@pytest.fixture
def session() -> Iterator[ShellSession]:
    with private_session() as opened:
        assert opened.kernel_view == "fresh", opened.kernel_view
        yield opened


@pytest.fixture
def sleeper() -> Iterator[int]:
    """A real process of the test's own (root's: it has capabilities)."""
    proc = subprocess.Popen(["sleep", "300"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def mount(session: ShellSession, source: Path | str, target: str) -> None:
    done = session.run_script(f"mount --bind {source} {target}")
    assert done.status == 0, done.output


def umount(session: ShellSession, target: str) -> None:
    done = session.run_script(f"umount {target}")
    assert done.status == 0, done.output


def tampered(verdict: Verdict, point: str) -> bool:
    return verdict.outcome == FAIL and verdict.seen == f"tampered: something is mounted over {point}: {TAMPERED}"


def forged(tmp_path: Path, real: str, pattern: str, line: str) -> Path:
    """A copy of ``real`` (a kernel file's text) with the lines matching ``pattern`` replaced by ``line``."""
    path = tmp_path / f"forged-{secrets.token_hex(3)}"
    text = re.sub(pattern, line, real, flags=re.MULTILINE)
    assert text != real
    path.write_text(text)
    return path


def test_forged_proc_pid_status_fails_caps_process(session: ShellSession, sleeper: int, tmp_path: Path) -> None:
    status = f"/proc/{sleeper}/status"
    real = Path(status).read_text()
    effective = re.search(r"^CapEff:\s*(\w+)", real, re.MULTILINE)
    assert effective is not None and int(effective[1], 16) & 1  # root's sleep holds cap_chown
    lacks = {"pid_cmd": f"echo {sleeper}", "set": "effective", "lacks": "cap_chown"}
    has = lacks | {"has": "cap_chown", "lacks": ""}
    assert run_probe(session, "caps.process", lacks).outcome == FAIL
    assert run_probe(session, "caps.process", has).outcome == PASS

    mount(session, forged(tmp_path, real, r"^CapEff:.*$", "CapEff:\t0000000000000000"), status)
    assert "CapEff:\t0000000000000000" in session.run(f"cat {status}").output  # the session sees the forgery
    assert "CapEff:\t0000000000000000" not in run_in_view(session, f"cat {status}", []).output  # the view does not
    for args in (lacks, has):  # believed, the forgery would pass "lacks"
        verdict = run_probe(session, "caps.process", args)
        assert tampered(verdict, status), verdict

    umount(session, status)
    assert run_probe(session, "caps.process", lacks).outcome == FAIL
    assert run_probe(session, "caps.process", has).outcome == PASS


def test_a_forgery_mounted_before_the_session_opened(sleeper: int, tmp_path: Path) -> None:
    status = f"/proc/{sleeper}/status"
    real = Path(status).read_text()
    fake = forged(tmp_path, real, r"^CapEff:.*$", "CapEff:\t0000000000000000")
    with private_session(f"mount --bind {fake} {status}") as session:
        assert session.kernel_view == "fresh"
        assert "CapEff:\t0000000000000000" in session.run(f"cat {status}").output
        assert "CapEff:\t0000000000000000" not in run_in_view(session, f"cat {status}", []).output
        verdict = run_probe(session, "caps.process", {"pid_cmd": f"echo {sleeper}", "lacks": "cap_chown"})
        assert tampered(verdict, status), verdict


def cpu_truth() -> dict[str, str]:
    """The answers of lab 351.1-cpu-virt-flags on this machine, from the kernel (the test's own mount
    namespace is the host's, where nothing is forged)."""
    flags = set(" ".join(re.findall(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)).split())
    return {
        "virt": next((f for f in ("vmx", "svm") if f in flags), "none"),
        "guest": "yes" if "hypervisor" in flags else "no",
    }


def test_forged_cpuinfo_fails_the_cpu_flags_lab(session: ShellSession, tmp_path: Path) -> None:
    (exercise,) = [e for e in load_curriculum().exercises if e.id == "351.1-cpu-virt-flags"]
    checks = {c.id: c for c in exercise.checks}
    values = choose_params(exercise, random.Random(0), lab_root(session))
    truth = cpu_truth()
    lie = {"virt": "svm" if truth["virt"] == "none" else "none", "guest": "no" if truth["guest"] == "yes" else "yes"}
    flags = " ".join(f for f in ("fpu", lie["virt"], "hypervisor" if lie["guest"] == "yes" else "") if f != "none")
    fake = forged(tmp_path, Path("/proc/cpuinfo").read_text(), r"^flags\s*:.*$", f"flags\t\t: {flags}")
    answer = Path(values["workdir"]) / "answer"

    def verdicts() -> dict[str, Verdict]:
        return {
            cid: run_check(session, checks[cid], values, settle=False).verdict for cid in ("virt-flag", "guest-flag")
        }

    run_script(session, "setup", exercise.setup, values)
    try:
        answer.write_text(f"{truth['virt']}\n{truth['guest']}\n")
        assert all(v.outcome == PASS for v in verdicts().values())
        answer.write_text(f"{lie['virt']}\n{lie['guest']}\n")
        assert all(v.outcome == FAIL for v in verdicts().values())

        mount(session, fake, "/proc/cpuinfo")  # now the lie matches what the session's shell reads
        assert f"flags\t\t: {flags}" in session.run("grep ^flags /proc/cpuinfo").output
        for answered in (lie, truth):
            answer.write_text(f"{answered['virt']}\n{answered['guest']}\n")
            for cid, verdict in verdicts().items():
                assert tampered(verdict, "/proc/cpuinfo"), (cid, verdict)
    finally:
        run_script(session, "reset", exercise.reset, values)


class Cgroup:
    """A pids cgroup of the test's own (v1: in the pids hierarchy; v2: pids enabled below the root)."""

    def __init__(self, v2: bool) -> None:
        self.name = f"lpic3-tamper-{secrets.token_hex(4)}"
        self.dir = Path("/sys/fs/cgroup" if v2 else "/sys/fs/cgroup/pids") / self.name
        if v2:
            Path("/sys/fs/cgroup/cgroup.subtree_control").write_text("+pids")
        self.dir.mkdir()
        (self.dir / "pids.max").write_text("5")

    def remove(self) -> None:
        for _ in range(50):  # a killed process leaves the group a moment later
            try:
                self.dir.rmdir()
                return
            except OSError:
                time.sleep(0.1)
        self.dir.rmdir()


@pytest.fixture
def cgroup() -> Iterator[Cgroup]:
    made = Cgroup(Path("/sys/fs/cgroup/cgroup.controllers").exists())
    try:
        yield made
    finally:
        made.remove()


def test_forged_cgroup_control_file_fails_cgroup_limit(cgroup: Cgroup, tmp_path: Path) -> None:
    limit = {"group": cgroup.name, "limit": "pids"}
    fake = tmp_path / "pids.max"
    fake.write_text("7\n")
    with private_session() as session:
        assert run_probe(session, "cgroup.limit", limit | {"equals": "5"}).outcome == PASS
        assert run_probe(session, "cgroup.limit", limit | {"equals": "7"}).outcome == FAIL
        target = str(cgroup.dir / "pids.max")
        mount(session, fake, target)
        assert session.run(f"cat {target}").output.strip() == "7"
        for equals in ("7", "5"):
            verdict = run_probe(session, "cgroup.limit", limit | {"equals": equals})
            assert tampered(verdict, target), verdict
        umount(session, target)
        assert run_probe(session, "cgroup.limit", limit | {"equals": "5"}).outcome == PASS


def moved_in_a_forgery(cgroup: Cgroup, pid: int, tmp_path: Path) -> tuple[str, Path]:
    """/proc/PID/cgroup, and a copy of it that puts the process in ``cgroup`` (which it is not in)."""
    listing = f"/proc/{pid}/cgroup"
    v2 = cgroup.dir.parent == Path("/sys/fs/cgroup")
    line = r"^0::.*$" if v2 else r"^(\d+):pids:.*$"
    fake = forged(tmp_path, Path(listing).read_text(), line, f"0::/{cgroup.name}" if v2 else rf"\1:pids:/{cgroup.name}")
    return listing, fake


def test_forged_proc_pid_cgroup_fails_cgroup_member(cgroup: Cgroup, sleeper: int, tmp_path: Path) -> None:
    listing, fake = moved_in_a_forgery(cgroup, sleeper, tmp_path)
    member = {"pid_cmd": f"echo {sleeper}", "group": cgroup.name, "controller": "pids"}
    with private_session() as session:
        assert run_probe(session, "cgroup.member", member).outcome == FAIL  # not moved
        mount(session, fake, listing)  # believed, it would say the process was moved
        verdict = run_probe(session, "cgroup.member", member)
        assert tampered(verdict, listing), verdict
        umount(session, listing)
        (cgroup.dir / "cgroup.procs").write_text(str(sleeper))
        assert run_probe(session, "cgroup.member", member).outcome == PASS
        mount(session, fake, listing)  # the truth, forged: still tampered
        assert tampered(run_probe(session, "cgroup.member", member), listing)


def test_forged_proc_pid_cgroup_fails_cgroup_process_limit(cgroup: Cgroup, sleeper: int, tmp_path: Path) -> None:
    """Believed, the forgery would put the process under the cgroup's limit of 5 tasks."""
    listing, fake = moved_in_a_forgery(cgroup, sleeper, tmp_path)
    limit = {"pid_cmd": f"echo {sleeper}", "limit": "pids", "equals": "5"}
    with private_session() as session:
        assert run_probe(session, "cgroup.process-limit", limit).outcome == FAIL  # not moved
        mount(session, fake, listing)
        verdict = run_probe(session, "cgroup.process-limit", limit)
        assert tampered(verdict, listing), verdict
        umount(session, listing)
        (cgroup.dir / "cgroup.procs").write_text(str(sleeper))
        assert run_probe(session, "cgroup.process-limit", limit).outcome == PASS


def test_a_tmpfs_over_the_hierarchy_and_another_process_bound_over_a_pid(
    cgroup: Cgroup, sleeper: int, tmp_path: Path
) -> None:
    """Forgeries one level up: a tmpfs over the cgroup hierarchy holding fake control files, and the
    kernel's own /proc entry of another process bound over the process's (a real proc file, from the
    wrong place)."""
    hierarchy = str(cgroup.dir.parent)
    limit = {"group": cgroup.name, "limit": "pids", "equals": "7"}
    other = subprocess.Popen(["sleep", "300"])
    try:
        with private_session() as session:
            made = session.run_script(
                f"mount -t tmpfs lpic3-test {hierarchy} && mkdir {hierarchy}/{cgroup.name}"
                f" && echo 7 > {hierarchy}/{cgroup.name}/pids.max"
            )
            assert made.status == 0, made.output
            verdict = run_probe(session, "cgroup.limit", limit)
            assert verdict.seen.startswith(f"tampered: something is mounted over {hierarchy}"), verdict
            assert verdict.outcome == FAIL

            own = {"pid_cmd": f"echo {sleeper}", "types": "uts"}
            assert run_probe(session, "ns.own", own).outcome == FAIL  # the session's own UTS namespace
            mount(session, f"/proc/{other.pid}", f"/proc/{sleeper}")
            verdict = run_probe(session, "ns.own", own)
            assert verdict.seen.startswith(f"tampered: something is mounted over /proc/{sleeper}, which holds"), verdict
    finally:
        other.kill()
        other.wait()


def test_a_command_run_in_the_view_reads_the_truth_through_tools(
    session: ShellSession, sleeper: int, tmp_path: Path
) -> None:
    """``kernel.output``: a tool (ps) reads /proc/PID/stat itself; the forgery is seen by the session's
    shell, not in the view, and the check fails as tampered."""
    stat = f"/proc/{sleeper}/stat"
    real = Path(stat).read_text()
    fake = tmp_path / "stat"
    fake.write_text(real.replace("(sleep)", "(sshd)"))
    check = {"command": f"ps -o comm= -p {sleeper}", "pattern": "^sleep$"}
    assert run_probe(session, "kernel.output", check).outcome == PASS
    mount(session, fake, stat)
    assert session.run(f"ps -o comm= -p {sleeper}").output.strip() == "sshd"
    assert run_in_view(session, f"ps -o comm= -p {sleeper}", []).output.strip() == "sleep"
    assert tampered(run_probe(session, "kernel.output", check | {"pattern": "^sshd$"}), stat)


def test_explain_shows_a_kernel_read_as_typed(session: ShellSession) -> None:
    """``lpic3 lab check --explain`` shows what the check ran in the view, not the view's framing."""
    recorder = Recorder(session)
    assert run_probe(recorder, "kernel.status", {"command": "grep -c '^processor' /proc/cpuinfo"}).outcome == PASS
    (ran,) = recorder.take()
    assert ran.command == "grep -c '^processor' /proc/cpuinfo  # in the kernel view"
    processors = len(re.findall(r"^processor", Path("/proc/cpuinfo").read_text(), re.MULTILINE))
    assert ran.output == f"{processors}\n"


# Mount tables as the kernel writes them (/proc/PID/mountinfo), the parts in /proc and /sys.
SYSTEMD_HOST = """\
22 29 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
23 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
29 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
24 23 0:6 / /sys/kernel/security rw,nosuid,nodev,noexec,relatime shared:3 - securityfs securityfs rw
26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
27 23 0:24 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:5 - pstore pstore rw
28 23 0:25 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:6 - bpf bpf rw,mode=700
30 22 0:27 / /proc/sys/fs/binfmt_misc rw,relatime shared:13 - autofs systemd-1 rw,fd=29
31 23 0:7 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime shared:14 - debugfs debugfs rw
32 23 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:15 - tracefs tracefs rw
33 23 0:30 / /sys/fs/fuse/connections rw,nosuid,nodev,noexec,relatime shared:16 - fusectl fusectl rw
34 23 0:31 / /sys/kernel/config rw,nosuid,nodev,noexec,relatime shared:17 - configfs configfs rw
45 30 0:40 / /proc/sys/fs/binfmt_misc rw,nosuid,nodev,noexec,relatime shared:24 - binfmt_misc binfmt_misc rw
"""
V1_HOST = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
"""
# A container's view: parts of /proc bound read-only onto themselves, its own cgroup as the root.
CONTAINER = """\
700 650 0:60 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
701 700 0:63 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
702 700 0:64 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
703 702 0:65 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
704 703 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
705 701 0:63 /sys /proc/sys ro,relatime - proc proc rw
706 701 0:63 /irq /proc/irq ro,relatime - proc proc rw
707 701 0:66 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
"""
CONTAINER_CGROUPS = ["/docker/abc"]
# An LXC container with lxcfs: the container's share of the machine, served over /proc files.
LXCFS = """\
800 780 0:70 / / rw,relatime - zfs pool/ct rw
801 800 0:71 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
802 801 0:72 /proc/cpuinfo /proc/cpuinfo rw,nosuid,nodev,relatime - fuse.lxcfs lxcfs rw,user_id=0,group_id=0
803 801 0:72 /proc/meminfo /proc/meminfo rw,nosuid,nodev,relatime - fuse.lxcfs lxcfs rw,user_id=0,group_id=0
"""


def mounts_of(text: str, *extra: str) -> list[Mount]:
    return [m for line in [*text.splitlines(), *extra] if (m := parse_mount(line)) is not None]


@pytest.mark.parametrize("path", [*WHOLE, "/proc/1/status", "/sys/fs/cgroup/system.slice/memory.max"])
def test_the_kernels_own_mounts_are_not_tampering(path: str) -> None:
    assert problem(mounts_of(SYSTEMD_HOST), ["/user.slice"], path) == ""


@pytest.mark.parametrize(
    ("text", "cgroups", "path", "found"),
    [
        (V1_HOST, ["/"], "/sys/fs/cgroup/memory/lpic3/x/memory.limit_in_bytes", ""),
        (V1_HOST, ["/"], "/sys/fs/cgroup/pids", ""),
        (V1_HOST, ["/"], "/sys", ""),
        (CONTAINER, CONTAINER_CGROUPS, "/sys/fs/cgroup/memory/memory.max", ""),
        (CONTAINER, CONTAINER_CGROUPS, "/proc/sys/net/ipv4/ip_forward", ""),
        (CONTAINER, CONTAINER_CGROUPS, "/proc/cpuinfo", ""),
        (CONTAINER, CONTAINER_CGROUPS, "/proc", "/proc/kcore"),  # a mask hides the kernel's file too
        (LXCFS, ["/"], "/proc/cpuinfo", ""),
        (LXCFS, ["/"], "/proc", ""),
    ],
)
def test_layouts_read_as_they_are(text: str, cgroups: Sequence[str], path: str, found: str) -> None:
    said = problem(mounts_of(text), cgroups, path)
    assert said == (f"something is mounted over {found}: {TAMPERED}" if found else ""), said


@pytest.mark.parametrize(
    ("extra", "path", "point"),
    [
        # a tmpfs stacked on the v1 layout, with its own memory/ folder of plain files
        (
            "50 31 0:90 / /sys/fs/cgroup rw - tmpfs fake rw",
            "/sys/fs/cgroup/memory/lpic3/x/memory.max",
            "/sys/fs/cgroup",
        ),
        ("50 31 0:90 / /sys/fs/cgroup rw - tmpfs fake rw", "/sys", "/sys/fs/cgroup"),
        # another group's folder bound over the hierarchy's root, and over a group
        (
            "51 35 0:32 /other /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
            "/sys/fs/cgroup/memory/a/b",
            "/sys/fs/cgroup/memory",
        ),
        (
            "51 35 0:32 /other /sys/fs/cgroup/memory/lpic3 rw - cgroup cgroup rw,memory",
            "/sys/fs/cgroup/memory/lpic3/x",
            "/sys/fs/cgroup/memory/lpic3",
        ),
        # the kernel's file of another process, and a file from the disk
        ("52 22 0:21 /999/status /proc/123/status rw - proc proc rw", "/proc/123/status", "/proc/123/status"),
        ("52 22 254:0 /tmp/x /proc/cpuinfo rw - ext4 /dev/vda rw", "/proc", "/proc/cpuinfo"),
        ("53 22 0:91 / /proc rw - tmpfs fake rw", "/proc/123/status", "/proc"),
    ],
)
def test_forgeries_in_a_mount_table(extra: str, path: str, point: str) -> None:
    said = problem(mounts_of(V1_HOST, extra), ["/"], path)
    where = point if point == path or not path.startswith(point + "/") else f"{point}, which holds {path}"
    assert said == f"something is mounted over {where}: {TAMPERED}"


def test_without_root_checks_read_the_sessions_own_proc() -> None:
    """A target whose user cannot make a mount namespace (nor mount anything over /proc): no view,
    the command runs in the session, and its own mount table is still judged."""
    with ShellSession(local_argv(user="nobody"), "this machine as nobody") as session:
        assert session.kernel_view.startswith("none: "), session.kernel_view
        verdict = run_probe(session, "kernel.status", {"command": "grep -q '^processor' /proc/cpuinfo"})
        assert verdict.outcome == PASS, verdict
        status = run_probe(session, "file.contains", {"path": "/proc/self/status", "pattern": r"^Uid:\s+65534\b"})
        assert status.outcome == PASS, status


def test_without_a_view_a_forgery_is_still_found(sleeper: int, tmp_path: Path) -> None:
    """Root in a user namespace may bind files in its own mount namespace but cannot mount a fresh
    /proc: there is no view, and the session's own mount table is judged."""
    status = f"/proc/{sleeper}/status"
    fake = forged(tmp_path, Path(status).read_text(), r"^CapEff:.*$", "CapEff:\t0000000000000000")
    argv = ["/usr/bin/unshare", "--user", "--map-root-user", "--mount", "--", *local_argv()]
    with ShellSession(argv, "root in a user namespace") as session:
        assert session.kernel_view.startswith("none: "), session.kernel_view
        has = {"pid_cmd": f"echo {sleeper}", "has": "cap_chown"}
        lacks = {"pid_cmd": f"echo {sleeper}", "lacks": "cap_chown"}
        assert run_probe(session, "caps.process", has).outcome == PASS
        assert run_probe(session, "caps.process", lacks).outcome == FAIL
        mount(session, fake, status)  # believed, it would pass "lacks"
        assert "CapEff:\t0000000000000000" in session.run(f"cat {status}").output
        assert tampered(run_probe(session, "caps.process", lacks), status)


def test_the_view_ends_with_its_session_even_when_a_script_left_a_daemon() -> None:
    """The view reads its requests from a pipe of the session's shell and ends when it closes. A
    daemon a lab's script starts must not keep that pipe open. The shell is started without a
    controlling terminal (as over ssh), so no hangup ends the view for it."""
    session = ShellSession(["/usr/bin/setsid", "--wait", *PRIVATE, *local_argv()], "a shell without a terminal")
    session.open()
    view = int(session.run("echo $__LPIC3_VIEW_PID").output)
    # A bash subshell left running (a program it executes would not get the pipes: they close on exec).
    daemon = session.run_script("( exec </dev/null >/dev/null 2>&1; while sleep 1; do :; done ) & echo $!")
    daemon_pid = daemon.output.split()[-1]
    started = Path(f"/proc/{view}/stat").read_text().split()[21]
    session.close()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                fields = Path(f"/proc/{view}/stat").read_text().split()
            except FileNotFoundError:
                break
            if fields[21] != started or fields[2] == "Z":
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the kernel view (PID {view}) outlived its session")
    finally:
        subprocess.run(["kill", daemon_pid], check=False)
