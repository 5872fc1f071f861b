"""Building the sandbox image: a Debian 12 root file system made with debootstrap (systemd, a
kernel, openssh-server and the lab tools), turned into a qcow2 without loop mounts.

Each step is a command the learner may want to see (``--explain``): they are themselves exam
material. The build is resumable: the root file system is kept once debootstrap has finished,
and every result is written under a temporary name and renamed at the very end, so a half-built
image is never taken for a finished one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from trainer.sandbox.files import HOSTNAME, SandboxFiles

PACKAGES = [
    "systemd-sysv",
    "udev",
    "dbus",
    "linux-image-amd64",
    "iproute2",
    "kmod",
    "procps",
    "util-linux",
    "login",
    "passwd",
    "openssh-server",
    "libcap2-bin",
    "iputils-ping",
    "qemu-utils",
]
IMAGE_SIZE = "3G"
Progress = Callable[[str], None]


class BuildError(Exception):
    """The build cannot go on; the message says why and what to do."""


def mirror() -> str:
    """The Debian mirror apt already uses on this machine (debootstrap needs no other network)."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    try:
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    except OSError:
        pass
    return "http://deb.debian.org/debian"


def _run(argv: list[str | Path], say: Progress, explain: bool, what: str, timeout: float = 1800) -> None:
    say(what)
    if explain:
        say("  $ " + " ".join(str(a) for a in argv))
    try:
        done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise BuildError(f"{argv[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: no result after {timeout:.0f} s (is the mirror {mirror()} answering?)") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BuildError(f"{what} failed: {' | '.join(tail) or f'exit {done.returncode}'}")


def preflight(files: SandboxFiles) -> None:
    if os.geteuid() != 0:
        raise BuildError("building the image needs root (debootstrap): run `sudo lpic3 sandbox build`")
    for tool in ("debootstrap", "mkfs.ext4", "qemu-img", "ssh-keygen"):
        if not shutil.which(tool):
            raise BuildError(
                f"{tool} is not installed (apt-get install debootstrap e2fsprogs qemu-utils openssh-client)"
            )
    files.root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(files.root).free
    if free < 4 * 1024**3:
        raise BuildError(f"only {free // 1024**2} MiB free under {files.root}: the build needs about 4 GiB")


def build(files: SandboxFiles, say: Progress, explain: bool = False) -> float:
    """Build (or finish building) the image; returns the seconds it took."""
    start = time.monotonic()
    preflight(files)
    work = files.root / "build"
    rootfs, done_marker = work / "rootfs", work / "rootfs.done"
    work.mkdir(exist_ok=True)
    if not done_marker.exists():
        shutil.rmtree(rootfs, ignore_errors=True)  # an interrupted debootstrap is started again
        _run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", "bookworm", rootfs, mirror()],
            say,
            explain,
            "debootstrap: a Debian 12 root file system (about a minute)",
        )
        done_marker.touch()
    else:
        say("debootstrap: already done (resuming)")
    _configure(files, rootfs, say, explain)
    raw = work / "image.raw"
    raw.unlink(missing_ok=True)
    _run(
        ["mkfs.ext4", "-q", "-F", "-L", "root", "-d", rootfs, raw, IMAGE_SIZE],
        say,
        explain,
        "mkfs.ext4 -d: the file system image, filled from the root file system (no loop mount)",
    )
    _run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, work / "base.qcow2"],
        say,
        explain,
        "qemu-img convert: raw to qcow2 (only used blocks take space)",
    )
    raw.unlink()
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
    initrds = sorted((rootfs / "boot").glob("initrd.img-*"))
    if not kernels or not initrds:
        raise BuildError("the image has no kernel or initrd in /boot")
    shutil.copy(kernels[-1], work / "vmlinuz")
    shutil.copy(initrds[-1], work / "initrd.img")
    for name, final in (("base.qcow2", files.image), ("vmlinuz", files.kernel), ("initrd.img", files.initrd)):
        (work / name).replace(final)
    say(f"built {files.image} ({files.image.stat().st_size // 1024**2} MiB)")
    return time.monotonic() - start


def _configure(files: SandboxFiles, rootfs: Path, say: Progress, explain: bool) -> None:
    """Hostname, fstab, DHCP, a root login on the serial console, and SSH with lpic3's own keys."""
    say("configuring: hostname, fstab, DHCP, serial console, SSH keys")
    (rootfs / "etc/hostname").write_text(f"{HOSTNAME}\n")
    (rootfs / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {HOSTNAME}\n")
    (rootfs / "etc/fstab").write_text("LABEL=root / ext4 defaults 0 1\n")
    (rootfs / "etc/systemd/network/20-dhcp.network").write_text("[Match]\nName=en*\n\n[Network]\nDHCP=yes\n")
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / "systemd-networkd.service"
    if not link.exists():
        link.symlink_to("/lib/systemd/system/systemd-networkd.service")
    getty = rootfs / "etc/systemd/system/serial-getty@ttyS0.service.d"
    getty.mkdir(parents=True, exist_ok=True)
    (getty / "autologin.conf").write_text(
        "[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root "
        "--noclear --keep-baud 115200,38400,9600 %I $TERM\n"
    )
    for key in (files.key, files.host_key):
        if not key.exists():
            _run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lpic3-sandbox", "-f", key],
                say,
                explain,
                f"ssh-keygen: {key.name}",
            )
    ssh = rootfs / "root/.ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh / "authorized_keys").write_text(files.key.with_suffix(".pub").read_text())
    for old in (rootfs / "etc/ssh").glob("ssh_host_*"):
        old.unlink()
    shutil.copy(files.host_key, rootfs / "etc/ssh/ssh_host_ed25519_key")
    shutil.copy(files.host_key.with_suffix(".pub"), rootfs / "etc/ssh/ssh_host_ed25519_key.pub")
    os.chmod(rootfs / "etc/ssh/ssh_host_ed25519_key", 0o600)
    public = files.host_key.with_suffix(".pub").read_text().split()
    files.known_hosts.write_text(f"{HOSTNAME} {public[0]} {public[1]}\n")
