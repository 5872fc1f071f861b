"""The sandbox image built without root: an ordinary user, made by this test (with its own
subordinate IDs, as useradd gives one), runs `lpic3 sandbox build` and gets the image a root
build makes, its files owned by the right users inside; boots it, logs in, destroys it. And what
stops a rootless build is said in one line: no mmdebstrap, no subordinate IDs, no user namespaces
(a real refusal: a namespace whose user.max_user_namespaces is 0)."""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.pace import budget
from tests.conftest import run_lpic3
from trainer.sandbox import rootless
from trainer.sandbox.build import BuildError, build, hand_over, preflight
from trainer.sandbox.files import SandboxFiles, sudo_invoker
from trainer.sandbox.rootless import how_to_build

REPO = Path(__file__).resolve().parent.parent
NEEDED = ("mmdebstrap", "newuidmap", "mkfs.ext4", "debugfs", "qemu-img", "qemu-system-x86_64", "useradd", "runuser")
MISSING = [tool for tool in NEEDED if not shutil.which(tool)]
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="making an ordinary user for the build needs root"),
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]
# What lpic3's command line imports besides the standard library (not Textual: `sandbox` never does).
THIRD_PARTY = ("pexpect", "ptyprocess", "platformdirs")
QUIET = lambda _: None  # noqa: E731
# The user's interpreter: this one may be out of its reach (a virtual environment under /root).
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


@pytest.fixture
def learner() -> Iterator[tuple[str, Path]]:
    """An ordinary user of this test's own (name lpic3-rb-...), with a home under /var/tmp and
    lpic3 installed where it can read it; deleted afterwards with its subordinate IDs."""
    name = f"lpic3-rb-{secrets.token_hex(3)}"
    base = Path(tempfile.mkdtemp(prefix="lpic3-test-rootless-", dir="/var/tmp"))
    base.chmod(0o755)
    subprocess.run(["useradd", "--create-home", "--home-dir", base / "home", "--shell", "/bin/sh", name], check=True)
    try:
        if rootless._range_size(Path("/etc/subuid"), name, -1) < rootless.IDS_NEEDED:
            first = _free_subordinate_start()
            ids = f"{first}-{first + rootless.IDS_NEEDED - 1}"
            subprocess.run(["usermod", "--add-subuids", ids, "--add-subgids", ids, name], check=True)
        site = base / "site"
        for package in ("trainer", "checkers"):
            shutil.copytree(REPO / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
        for module in THIRD_PARTY:
            spec = importlib.util.find_spec(module)
            assert spec is not None and spec.submodule_search_locations, module
            shutil.copytree(next(iter(spec.submodule_search_locations)), site / module)
        subprocess.run(["chmod", "-R", "a+rX", site], check=True)
        yield name, base
    finally:
        subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def _free_subordinate_start() -> int:
    """The first ID after every range /etc/subuid and /etc/subgid give (useradd gave this user none)."""
    ends = [100000]
    for path in rootless.SUBORDINATE_IDS:
        for line in path.read_text().splitlines():
            fields = line.split(":")
            if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                ends.append(int(fields[1]) + int(fields[2]))
    return max(ends)


def as_user(name: str, base: Path, *argv: str, seconds: float) -> subprocess.CompletedProcess[str]:
    """``argv`` run as the user, with a login's plain environment and lpic3 on its PYTHONPATH."""
    path = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/games"  # an ordinary user's on Debian: no sbin folders
    env = [f"HOME={base / 'home'}", path, f"PYTHONPATH={base / 'site'}"]
    command = ["runuser", "-u", name, "--", "env", "-i", *env, *(PYTHON if a == "python" else a for a in argv)]
    return subprocess.run(command, capture_output=True, text=True, timeout=seconds, check=False, cwd=base)


def owner_in_image(raw: Path, path: str) -> tuple[int, int]:
    """The user and group IDs ``path`` has in the ext4 image (debugfs, read-only)."""
    out = subprocess.run(["debugfs", "-R", f"stat {path}", raw], capture_output=True, text=True, check=True).stdout
    fields = out.split("User:")[1].split()
    return int(fields[0]), int(fields[2])  # "User:     0   Group:    42   Project: ..."


def test_an_ordinary_user_builds_boots_and_destroys_the_image(learner: tuple[str, Path]) -> None:
    name, base = learner
    user = pwd.getpwnam(name)
    on_a_terminal = f"{PYTHON} -m trainer sandbox build"  # through script(1): its output is a terminal
    built = as_user(
        name, base, "script", "--quiet", "--return", "--command", on_a_terminal, "/dev/null", seconds=budget(2400)
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    assert "not root: building as root of a user namespace" in built.stdout
    steps = re.findall(r"\[(\d)/7\] ", built.stdout)
    assert steps == [str(n) for n in range(1, 8)], steps  # every step numbered, in order
    bars = re.findall(r"\x1b\[K\[#*-*\] +(\d+)%  ", built.stdout)  # the bar, drawn in place (\r read as \n)
    assert len(bars) > 20 and int(bars[-1]) > 90, bars[-5:]  # relayed from inside the user namespace
    assert "first boot: a shell after" in built.stdout  # the image booted, settled and powered off
    files = SandboxFiles(base / "home/.local/share/lpic3/sandbox")  # the platform's data folder: no LPIC3_HOME
    assert files.built, built.stdout[-2000:]
    for folder in (files.root, files.root.parent):  # the sandbox's, and lpic3's data folder: the user's alone
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    for made in (files.image, files.kernel, files.key, files.known_hosts, files.stamp):
        assert made.stat().st_uid == user.pw_uid, made  # the user's, not a subordinate ID's

    raw = base / "image.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", files.image, raw], check=True)
    try:
        assert owner_in_image(raw, "/etc/shadow") == (0, 42)  # root, group shadow: not the user's own ID
        apt_uid = _uid_in_image(raw, "_apt")  # 42: a subordinate ID outside, mapped back in the namespace
        assert apt_uid not in (0, user.pw_uid)
        assert owner_in_image(raw, "/var/cache/apt/archives/partial") == (apt_uid, 0)
        qemu_uid = _uid_in_image(raw, "libvirt-qemu")  # 64055: near the top of the range
        assert qemu_uid > 60000 and owner_in_image(raw, "/var/lib/libvirt/qemu")[0] == qemu_uid
    finally:
        raw.unlink()

    up = as_user(name, base, "python", "-m", "trainer", "sandbox", "up", seconds=budget(900))
    assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
    try:
        inside = as_user(
            name, base, "ssh", "-F", str(files.ssh_config), "lpic3-sandbox", "id -u; stat -c %U:%G /etc/shadow",
            seconds=budget(120),
        )  # fmt: skip
        assert inside.stdout.split() == ["0", "root:shadow"], inside.stdout + inside.stderr
    finally:
        gone = as_user(name, base, "python", "-m", "trainer", "sandbox", "destroy", seconds=budget(300))
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not files.root.exists()  # the build's tree too, with its files owned by subordinate IDs


def _uid_in_image(raw: Path, account: str) -> int:
    passwd = subprocess.run(["debugfs", "-R", "cat /etc/passwd", raw], capture_output=True, text=True, check=True)
    for line in passwd.stdout.splitlines():
        if line.startswith(account + ":"):
            return int(line.split(":")[2])
    raise AssertionError(f"no {account} in the image's /etc/passwd")


def test_no_mmdebstrap_or_no_subordinate_ids_is_one_line_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = SandboxFiles(tmp_path / "sandbox")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # the build's own test of who runs it
    empty = tmp_path / "subid"
    empty.write_text("someone-else:100000:65536\n")
    monkeypatch.setattr(rootless, "SUBORDINATE_IDS", (empty, empty))
    with pytest.raises(
        BuildError, match=r"needs root or user namespaces: .*subid gives root no range of 65536 .*usermod"
    ):
        build(files, QUIET)
    assert how_to_build().startswith(f"only as root: {empty} gives root no range")  # what `lpic3 doctor` says
    monkeypatch.setenv("PATH", str(tmp_path))  # no mmdebstrap on it
    with pytest.raises(BuildError, match=r"mmdebstrap is not installed \(apt-get install mmdebstrap\)"):
        build(files, QUIET)
    assert not files.root.exists()


def test_a_machine_without_user_namespaces_is_named_as_the_reason(tmp_path: Path) -> None:
    """In a user namespace whose own user.max_user_namespaces is 0, making one more fails for real."""
    ids = tmp_path / "subid"
    ids.write_text("root:100000:65536\n")
    probe = textwrap.dedent(f"""
        from pathlib import Path
        from trainer.sandbox import rootless
        rootless.SUBORDINATE_IDS = (Path({str(ids)!r}), Path({str(ids)!r}))
        print(rootless.why_not())
    """)
    limited = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" -c "$1"'
    said = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c", limited, sys.executable, probe],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith("this machine does not let root make user namespaces (unshare: "), said.stdout


def test_a_build_run_through_sudo_is_handed_to_the_user_who_ran_it(
    learner: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """sudo gives root's HOME: the image would land where the user's `lpic3 sandbox up` never looks."""
    name, base = learner
    user = pwd.getpwnam(name)
    monkeypatch.delenv("LPIC3_HOME")
    monkeypatch.setenv("SUDO_UID", str(user.pw_uid))
    owner = sudo_invoker()
    assert owner is not None and owner.name == name
    files = owner.sandbox()
    assert files.root == base / "home/.local/share/lpic3/sandbox"
    preflight(files, owner)  # makes the folders the user's data lives in: theirs, not root's
    for folder in (base / "home/.local", base / "home/.local/share", files.root.parent, files.root):
        assert folder.stat().st_uid == user.pw_uid, folder
    shadow = files.root / "build/rootfs/etc/shadow"  # what a root build keeps: root's files
    shadow.parent.mkdir(parents=True)
    shadow.write_text("root:*:1::::::\n")
    files.image.write_bytes(b"QFI\xfb")
    lines: list[str] = []
    hand_over(files, owner, lines.append)
    assert not (files.root / "build").exists()
    assert files.image.stat().st_uid == user.pw_uid and files.root.stat().st_uid == user.pw_uid
    assert lines == [f"the sandbox is {name}'s, in {files.root}: `lpic3 sandbox up` as {name} finds it"]
    monkeypatch.setenv("LPIC3_HOME", str(base))  # LPIC3_HOME says where: no hand-over
    assert sudo_invoker() is None


def test_doctor_says_where_the_sandbox_is_and_how_it_can_be_built_here() -> None:
    said = run_lpic3("doctor", "--json")
    assert said.returncode == 0, said.stderr
    sandbox = json.loads(said.stdout)["sandbox"]
    assert sandbox == {"built": False, "folder": f"{os.environ['LPIC3_HOME']}/sandbox", "build": "as root"}
    text = run_lpic3("doctor").stdout.splitlines()[-1]
    assert text == "sandbox VM: not built; `lpic3 sandbox build` makes it here as root"
