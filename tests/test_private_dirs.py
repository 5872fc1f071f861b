"""Private folders (checkers.privdir): made 0700, and anything else found in their place (a planted
symlink, a file, a folder too open or someone else's) refused with one line, in Python and in the
shell rule used on targets. Then the places that used to be predictable names in world-writable
folders (the KVM verdict and the lab folders in /var/tmp/lpic3, SSH control sockets in /tmp) are
attacked for real: symlinks are planted in a private mount namespace, where the test may cover
/var/tmp, /var/lib and /run without touching the machine, and nothing may arrive through them."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from checkers.privdir import SHELL_FUNCTIONS, PrivateDirError, private_dir, runtime_dir
from checkers.session import ShellSession
from checkers.targets import parse_target
from tests.conftest import REPO
from trainer.errors import SandboxError
from trainer.sandbox.files import SandboxFiles

ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="planting folders of other users and namespaces needs root")
KVM_PROBE = pytest.mark.skipif(
    not shutil.which("qemu-system-x86_64") or not glob.glob("/boot/vmlinuz-*"),
    reason="the KVM probe needs qemu-system-x86_64 and a kernel in /boot",
)


def plant_symlink(path: Path, victim: Path) -> None:
    victim.mkdir(mode=0o700)  # private and ours: only the link itself may be what is refused
    path.symlink_to(victim)


def plant_file(path: Path, victim: Path) -> None:
    path.write_text("")


def plant_open_dir(path: Path, victim: Path) -> None:
    path.mkdir(mode=0o755)


def plant_dir_of_another_user(path: Path, victim: Path) -> None:
    path.mkdir(mode=0o700)
    os.chown(path, 65534, 65534)


PLANTS: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "symlink": (plant_symlink, "is a symbolic link"),
    "file": (plant_file, "is not a directory"),
    "open": (plant_open_dir, "has mode 0755, not 0700"),
    "other-user": (plant_dir_of_another_user, "belongs to uid 65534"),
}


def test_a_private_folder_is_made_0700_and_used_again(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "a" / "b")
    info = made.lstat()
    assert made.is_dir() and oct(info.st_mode & 0o777) == "0o700" and info.st_uid == os.geteuid()
    assert private_dir(made) == made


@ROOT
@pytest.mark.parametrize("plant", PLANTS, ids=list(PLANTS))
def test_what_is_not_private_is_refused_in_python_and_in_shell(
    plant: str, tmp_path: Path, local_shell: ShellSession
) -> None:
    make, why = PLANTS[plant]
    path, victim = tmp_path / "private", tmp_path / "victim"
    make(path, victim)
    with pytest.raises(PrivateDirError, match=f"refusing to use {path}: it {why}"):
        private_dir(path)
    refused = local_shell.run(SHELL_FUNCTIONS + f"lpic3_private {path} && touch {path}/written", merge=False)
    assert refused.status == 1
    assert refused.errors.strip() == (
        f"lpic3: refusing to use {path}: not a private folder (a real directory of uid 0, mode 0700)"
    )
    assert not victim.exists() or list(victim.iterdir()) == []  # nothing went through a link


@ROOT
def test_the_sandbox_folder_must_be_private(tmp_path: Path) -> None:
    """It holds the key that logs in as root and the serial console's socket (a root shell)."""
    (tmp_path / "sandbox").mkdir(mode=0o755)
    with pytest.raises(SandboxError, match=r"refusing to use .*sandbox: it has mode 0755"):
        SandboxFiles(tmp_path / "sandbox").check_private()


def test_ssh_control_sockets_are_in_a_private_runtime_folder() -> None:
    argv = parse_target("ssh://alice@lab1.example.org").argv
    control = Path(next(a for a in argv if a.startswith("ControlPath=")).removeprefix("ControlPath="))
    assert control.parent == runtime_dir() and not str(control).startswith(("/tmp/", "/var/tmp/"))
    info = control.parent.lstat()
    assert info.st_mode & 0o777 == 0o700 and info.st_uid == os.geteuid()


def in_private_namespace(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run shell ``script`` in a mount namespace of its own (mounts made there vanish with it), with
    ``$PY`` the interpreter running these tests and the repository as working folder."""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-euc", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=os.environ | {"PY": sys.executable, "LPIC3_HOME": str(home)},
        timeout=600,
        check=False,
    )


# /var/tmp and the folders lpic3 uses now, covered by throw-away tmpfs mounts in the namespace (the
# private ones mode 0700, as lpic3 makes them), with a folder an attacker controls to plant links to.
COVER = """
mount -t tmpfs lpic3-test-vartmp /var/tmp
mkdir /var/tmp/planted
before=$(stat -c %y /var/tmp/planted)
mount -t tmpfs -o mode=0700 lpic3-test-state /var/lib/lpic3 2>/dev/null \
  || { mkdir -m 0700 /var/lib/lpic3; mount -t tmpfs -o mode=0700 lpic3-test-state /var/lib/lpic3; }
"""
# Nothing in the planted folder, and nothing ever was: its modification time is unchanged.
PLANTED = """
[ "$(stat -c %y /var/tmp/planted)" = "$before" ] && state=untouched || state=touched
echo "planted: $(find /var/tmp/planted -mindepth 1 | wc -l) $state"
"""
LAB = "$PY -m trainer lab selftest 351.5-qcow2-overlay --target local --yes"
KVM = (
    "$PY -c 'from checkers.kvm import guest_boots; from checkers.session import ShellSession, local_argv\n"
    'with ShellSession(local_argv(), "l") as s: print("kvm:", guest_boots(s, accel="tcg")[1])\''
)


@ROOT
def test_a_lab_writes_nothing_through_a_symlink_planted_at_var_tmp_lpic3(tmp_path: Path) -> None:
    """The labs used /var/tmp/lpic3/<lab> (world-writable parent, predictable name): a planted
    symlink there sent root's writes (and `rm -rf`) wherever it pointed."""
    done = in_private_namespace(f"{COVER}ln -s /var/tmp/planted /var/tmp/lpic3\n{LAB}\n{PLANTED}", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   351.5-qcow2-overlay" in done.stdout
    assert "planted: 0 untouched" in done.stdout, done.stdout


@ROOT
@KVM_PROBE
def test_the_kvm_verdict_is_not_written_through_a_symlink_planted_at_var_tmp_lpic3(tmp_path: Path) -> None:
    done = in_private_namespace(
        f"{COVER}ln -s /var/tmp/planted /var/tmp/lpic3\n{KVM}\n{PLANTED}\nls /var/lib/lpic3\n", tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kvm: a Linux guest booted with -accel tcg" in done.stdout
    assert "planted: 0 untouched" in done.stdout and "guest-boots-tcg" in done.stdout.splitlines()[-1], done.stdout


@ROOT
def test_a_symlink_planted_where_lpic3_keeps_its_folders_is_refused(tmp_path: Path) -> None:
    """/var/lib/lpic3 and /run/lpic3 replaced by links to a folder someone else controls: lab runs
    and SSH targets refuse with one line, and nothing arrives in that folder."""
    script = f"""{COVER}
umount /var/lib/lpic3
mount -t tmpfs lpic3-test-varlib /var/lib
mount -t tmpfs lpic3-test-run /run
ln -s /var/tmp/planted /var/lib/lpic3
ln -s /var/tmp/planted /run/lpic3
{LAB} && exit 9 || echo "lab status $?"
$PY -m trainer lab check 351.5-qcow2-overlay --target ssh://root@127.0.0.1 && exit 9 || echo "ssh status $?"
{PLANTED}"""
    done = in_private_namespace(script, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lab status 2" in done.stdout and "ssh status 2" in done.stdout, done.stdout
    assert done.stderr.splitlines() == [
        "lpic3: no private folder for lab attempts on the target: refusing to use /var/lib/lpic3: "
        "not a private folder (a real directory of uid 0, mode 0700)",
        "lpic3: refusing to use /run/lpic3: it is a symbolic link (lpic3 keeps private files there; remove it)",
    ]
    assert "planted: 0 untouched" in done.stdout


@ROOT
@KVM_PROBE
def test_the_kvm_probe_measures_but_does_not_remember_through_a_planted_symlink(tmp_path: Path) -> None:
    script = f"""{COVER}
umount /var/lib/lpic3
mount -t tmpfs lpic3-test-varlib /var/lib
ln -s /var/tmp/planted /var/lib/lpic3
{KVM}
{PLANTED}"""
    done = in_private_namespace(script, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kvm: a Linux guest booted with -accel tcg (measured, not remembered: refusing to use /var/lib/lpic3" in (
        done.stdout
    )
    assert "planted: 0 untouched" in done.stdout
