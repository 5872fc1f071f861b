"""Building the sandbox image: a Debian 12 root file system made with mmdebstrap (systemd, a
kernel, openssh-server), the exam's tools installed into it with apt, turned into a qcow2
without loop mounts (``mkfs.ext4 -d``, ``qemu-img convert``). Root builds it directly; an
ordinary user builds the same image as root of a user namespace (``trainer.sandbox.rootless``).

Each step is a command the learner may want to see (``--explain``): they are themselves exam
material. The build is resumable and incremental: the root file system is kept once mmdebstrap
has finished, a tool added to the recipe installs only itself, and an image built from the same
recipe is not built again. Every result is written under a temporary name and renamed at the very
end, and the recipe's stamp is written last: a half-built image is never taken for a finished one.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import lzma
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

import pexpect

from checkers.pace import load_factor
from trainer.errors import SandboxError
from trainer.paths import private_data_dir
from trainer.sandbox import recipe, rootless
from trainer.sandbox.configure import configure, trim
from trainer.sandbox.files import HOSTNAME, Owner, SandboxFiles, mounts_under
from trainer.sandbox.progress import Bar, Meter, apt_meter, mmdebstrap_meter, relay
from trainer.sandbox.vm import choose_accel, machine_args, running_pid

Progress = Callable[[str], None]
FREE_SPACE_NEEDED = 6 * 1024**3
HOST_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
FIRST_BOOT = 300  # seconds for the image's first boot, settle and power-off (TCG, idle; grows with the load)
# A chroot mounts /proc: it runs in a private mount namespace, where its mounts vanish with it, so
# an interrupted build leaves no mount behind, and deleting the half-made root file system cannot
# reach the host's /proc.
PRIVATE_MOUNTS = ["unshare", "--mount", "--propagation", "private", "--fork"]
# The chroot's /dev, in that namespace too: a tmpfs with the host's few character devices bound in,
# and pseudo-terminals of its own (apt runs dpkg on one). No device node is made (a rootless
# build's user namespace cannot), and the image's /dev stays empty: the kernel's devtmpfs is /dev
# at boot.
CHROOT_DEV = (
    'mount -t tmpfs -o mode=0755 lpic3-dev "$0/dev" && for d in null zero full random urandom tty; do '
    'touch "$0/dev/$d" && mount --bind "/dev/$d" "$0/dev/$d" || exit 1; done && mkdir "$0/dev/pts" && '
    'mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 lpic3-devpts "$0/dev/pts" && '
    'ln -s pts/ptmx "$0/dev/ptmx" && exec "$@"'
)


class BuildError(SandboxError):
    """The build cannot go on; the message says why and what to do."""


def apt_mirror() -> str:
    """The Debian mirror apt already uses on this machine (debootstrap needs no other network)."""
    try:
        for line in HOST_SOURCES.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    except OSError:
        pass
    return "http://deb.debian.org/debian"


class Steps:
    """Runs the build's commands: numbers the steps, says what each is for, shows it on request,
    moves the bar while a long one runs, turns failures into one-line BuildErrors that name the
    step."""

    TOTAL = 7  # mmdebstrap, the tools, configuring, units and initrd, mkfs, qemu-img, first boot

    def __init__(self, say: Progress, explain: bool, mirror: str, bar: Bar | None = None) -> None:
        self.say, self.explain, self.mirror, self.bar = say, explain, mirror, bar
        self.number = 0

    def step(self, what: str) -> None:
        """Say that the next of the build's steps starts (or is found done)."""
        self.number += 1
        self.say(f"[{self.number}/{self.TOTAL}] {what}")

    def run(
        self, argv: list[str | Path], what: str, timeout: float = 1800, meter: Meter | None = None, step: bool = True
    ) -> None:
        """Run one command, its output read as it comes (``meter`` turns a line into the bar's
        position); what is kept of it is bounded: apt's error lines and the last few others."""
        self.show(what, argv, step)
        # A process group of its own: a timeout or an interruption stops apt and dpkg with it. No
        # terminal on stdin: apt would run dpkg on a pseudo-terminal, and the chroot's /dev has none.
        try:
            child = subprocess.Popen(
                [str(a) for a in argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except FileNotFoundError:
            raise BuildError(f"{argv[0]} is not installed") from None
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _stop_group(child)

        timer = threading.Timer(timeout, expire)
        timer.start()
        errors: list[str] = []
        last: deque[str] = deque(maxlen=2)
        try:
            assert child.stdout is not None
            for line in child.stdout:
                line = line.strip()
                if line.startswith(("E:", "W: Failure", "ERROR")) and len(errors) < 50:
                    errors.append(line)
                elif line:
                    last.append(line)
                shown = meter(line) if meter and self.bar else None
                if shown and self.bar:
                    self.bar(*shown)
        finally:
            timer.cancel()
            _stop_group(child)
            child.wait()
        if expired.is_set():
            raise BuildError(f"{what}: no result after {timeout:.0f} s (is {self.mirror} answering?)")
        if child.returncode != 0:
            errors = errors or list(last)
            said = dict.fromkeys([errors[0], errors[-1]]) if errors else {f"exit {child.returncode}": None}
            raise BuildError(f"{what} failed: {' | '.join(said)}")  # the first error is the cause, the last the result

    def show(self, what: str, argv: Sequence[str | Path], step: bool = True) -> None:
        """Say what a step is for, and (--explain) the command it runs."""
        if step:
            self.step(what)
        else:
            self.say(what)
        if self.explain:
            self.say("  $ " + shlex.join(str(a) for a in argv))

    def chroot(
        self, rootfs: Path, commands: list[str], what: str, timeout: float = 1800, meter: Meter | None = None
    ) -> None:
        """Run commands, one after the other while they succeed, inside the root file system with
        /proc and /dev mounted."""
        self.run(
            [
                *PRIVATE_MOUNTS, "sh", "-c", CHROOT_DEV, rootfs,
                "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive",
                "chroot", rootfs, "sh", "-c", " && ".join(["mount -t proc proc /proc", *commands]),
            ],
            what,
            timeout,
            meter,
        )  # fmt: skip


def _stop_group(child: subprocess.Popen[str]) -> None:
    """SIGKILL what is left of a step's process group (the step's own processes, nothing else)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)


def remove_rootfs(rootfs: Path) -> None:
    """Delete a root file system, never through a mount (a host's /proc or /dev bound into it)."""
    mounted = mounts_under(rootfs)
    if mounted:
        raise BuildError(f"{mounted[0]} is mounted inside the build's root file system: umount it, then build again")
    shutil.rmtree(rootfs, ignore_errors=True)


def preflight(files: SandboxFiles, owner: Owner | None = None) -> None:
    for tool in ("mmdebstrap", "mkfs.ext4", "qemu-img", "ssh-keygen", "unshare"):
        if not shutil.which(tool):
            raise BuildError(
                f"{tool} is not installed (apt-get install mmdebstrap e2fsprogs qemu-utils openssh-client)"
            )
    missing = [p for p in (files.root, *files.root.parents) if not p.exists()]
    private_data_dir(files.root)  # keys, and a root shell on a socket; the folders above it 0700 too
    if owner:  # a folder root made in the user's home must be the user's
        for made in missing:
            os.chown(made, owner.uid, owner.gid)
    free = shutil.disk_usage(files.root).free
    if free < FREE_SPACE_NEEDED:
        raise BuildError(
            f"only {free // 1024**2} MiB free under {files.root}: the build needs about "
            f"{FREE_SPACE_NEEDED // 1024**3} GiB (set LPIC3_HOME to a roomier place)"
        )


def build(
    files: SandboxFiles,
    say: Progress,
    explain: bool = False,
    mirror: str | None = None,
    owner: Owner | None = None,
    bar: Bar | None = None,
) -> float:
    """Build (or finish, or bring up to date) the image; returns the seconds it took. Not as root,
    the build runs in a user namespace of its own, when this machine allows one. Root building for
    ``owner`` (``sudo``) hands the image over to that user, and keeps no root-owned work files."""
    start = time.monotonic()
    if os.geteuid() != 0:
        _build_rootless(files, say, explain, mirror, bar)
        return time.monotonic() - start
    preflight(files, owner)
    if files.built and files.stamp.read_text().strip() == recipe.stamp():
        say(f"the image is up to date ({files.image}, {files.image.stat().st_size // 1024**2} MiB)")
        return time.monotonic() - start
    steps = Steps(say, explain, mirror or apt_mirror(), bar)
    work = files.root / "build"
    rootfs = work / "rootfs"
    work.mkdir(exist_ok=True)
    _bootstrap(steps, rootfs, work / "rootfs.done", custom_mirror=mirror is not None)
    _install_tools(steps, rootfs, work / "tools.done")
    configure(files, rootfs, steps)
    trim(rootfs)
    _make_image(steps, rootfs, work)
    first_boot(steps, work)
    if running_pid(files):
        raise BuildError("the sandbox is running on the old image: `lpic3 sandbox down`, then build again")
    files.stamp.unlink(missing_ok=True)  # from here on the old image is being replaced
    files.overlay.unlink(missing_ok=True)  # it records changes to the old image: useless on the new one
    files.forget_ready()  # the saved machine ran on the old image
    made = {"base.qcow2": files.image, "kernel": files.kernel, "initrd.img": files.initrd, "xen": files.xen}
    for name, final in made.items():
        (work / name).replace(final)
    files.stamp.write_text(recipe.stamp() + "\n")
    say(f"built {files.image}: {files.image.stat().st_size // 1024**2} MiB")
    if owner:
        hand_over(files, owner, say)
    return time.monotonic() - start


def hand_over(files: SandboxFiles, owner: Owner, say: Progress) -> None:
    """Give the finished sandbox to the user it was built for: its files become theirs, and the
    root file system the build kept (root's files, which that user could never delete) goes."""
    remove_rootfs(files.root / "build" / "rootfs")
    shutil.rmtree(files.root / "build", ignore_errors=True)
    for path in (files.root, *files.root.iterdir()):
        os.chown(path, owner.uid, owner.gid, follow_symlinks=False)
    say(f"the sandbox is {owner.name}'s, in {files.root}: `lpic3 sandbox up` as {owner.name} finds it")


def _build_rootless(files: SandboxFiles, say: Progress, explain: bool, mirror: str | None, bar: Bar | None) -> None:
    """The same build, as root of a user namespace (``main`` below, run there)."""
    missing = rootless.why_not()
    if missing:
        raise BuildError(f"building the image needs root or user namespaces: {missing}; or `sudo lpic3 sandbox build`")
    private_data_dir(files.root)
    argv = ["-m", "trainer.sandbox.build", str(files.root), *(["--explain"] if explain else [])]
    argv += ["--mirror", mirror] if mirror else []
    say(f"not root: building as root of a user namespace (your subordinate IDs from {rootless.SUBORDINATE_IDS[0]})")
    try:
        rootless.run_build(argv, say, bar)
    except SandboxError as exc:
        raise BuildError(str(exc)) from None


def main(argv: list[str]) -> int:
    """The build inside its user namespace: progress on stdout, a BuildError as one marked line."""
    explain = "--explain" in argv
    mirror = argv[argv.index("--mirror") + 1] if "--mirror" in argv else None
    try:
        build(SandboxFiles(Path(argv[0])), lambda line: print(line, flush=True), explain, mirror, bar=relay)
    except SandboxError as exc:
        print(rootless.ERROR_MARK + str(exc), flush=True)
        return 1
    return 0


def _bootstrap(steps: Steps, rootfs: Path, marker: Path, custom_mirror: bool) -> None:
    """mmdebstrap, unshare mode: as root it only unshares the mount namespace (its mounts vanish
    with it), and it works the same as root of a rootless build's user namespace, where device
    nodes cannot be made (none are: the kernel's devtmpfs is /dev at boot)."""
    if marker.exists():
        steps.step("mmdebstrap: already done (resuming)")
        return
    remove_rootfs(rootfs)  # an interrupted mmdebstrap is started again
    rootfs.mkdir()
    include = ",".join(recipe.BASE_PACKAGES)
    steps.run(
        [
            "mmdebstrap", "--mode=unshare", "--format=directory", "--variant=minbase", f"--include={include}",
            "bookworm", rootfs, steps.mirror,
        ],
        "mmdebstrap: a Debian 12 root file system (about a minute)",
        meter=mmdebstrap_meter,
    )  # fmt: skip
    if not custom_mirror and HOST_SOURCES.exists():  # updates and security too, as on this machine
        (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
        shutil.copy(HOST_SOURCES, rootfs / "etc/apt/sources.list.d/debian.sources")
    (rootfs / "etc/dpkg/dpkg.cfg.d/lpic3-slim").write_text(recipe.DPKG_EXCLUDES)
    marker.touch()


def _install_tools(steps: Steps, rootfs: Path, marker: Path) -> None:
    """apt-get install the tools not installed yet; no daemon is started (policy-rc.d says no)."""
    try:
        installed = set(json.loads(marker.read_text()))
    except (OSError, ValueError):
        installed = set()
    missing = [tool for tool in recipe.TOOLS if tool not in installed]
    if not missing:
        steps.step("the exam's tools: already installed (resuming)")
        return
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    try:
        steps.chroot(
            rootfs,
            [
                "apt-get -q update",
                f"apt-get -q -y -o APT::Status-Fd=1 --no-install-recommends install {' '.join(missing)}",
            ],
            f"apt-get install: {len(missing)} of the exam's tools ({', '.join(missing[:4])}"
            + (", ...)" if len(missing) > 4 else ")"),
            meter=apt_meter,
        )
    finally:
        policy.unlink(missing_ok=True)
    marker.write_text(json.dumps(sorted(installed | set(missing))))


def _make_image(steps: Steps, rootfs: Path, work: Path) -> None:
    raw = work / "image.raw"
    raw.unlink(missing_ok=True)
    try:
        steps.run(
            ["mkfs.ext4", "-q", "-F", "-L", "root", "-d", rootfs, raw, recipe.IMAGE_SIZE],
            "mkfs.ext4 -d: the file system image, filled from the root file system (no loop mount)",
        )
        steps.run(
            ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, work / "base.qcow2"],
            "qemu-img convert: raw to qcow2 (only the blocks in use take space)",
        )
    finally:
        raw.unlink(missing_ok=True)
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
    initrds = sorted((rootfs / "boot").glob("initrd.img-*"))
    hypervisors = sorted((rootfs / "boot").glob("xen-*-amd64.gz"))
    if not kernels or not initrds or not hypervisors:
        raise BuildError("the image has no kernel, initrd or Xen hypervisor in /boot")
    (work / "kernel").write_bytes(uncompressed_kernel(kernels[-1].read_bytes()))
    shutil.copy(initrds[-1], work / "initrd.img")
    (work / "xen").write_bytes(gzip.decompress(hypervisors[-1].read_bytes()))  # QEMU's multiboot loader reads no gzip


def uncompressed_kernel(bzimage: bytes) -> bytes:
    """The ELF kernel inside a bzImage compressed with xz (Debian's choice), else the bzImage."""
    start = bzimage.find(b"\xfd7zXZ\x00")
    if start >= 0:
        try:
            elf = lzma.LZMADecompressor().decompress(bzimage[start:])
        except lzma.LZMAError:
            return bzimage
        if elf.startswith(b"\x7fELF"):
            return elf
    return bzimage


def first_boot(steps: Steps, work: Path) -> None:
    """Boot the new image once, let it do its first-boot work (AppArmor compiles its profiles into
    a cache, ...) and ``recipe.FIRST_BOOT_SETUP`` (LXD initialised), and shut it down cleanly:
    written into the image itself, this is work no sandbox boot repeats (AppArmor alone costs 5 s
    a boot under TCG). It also proves the image boots before it replaces the one in use."""
    command = machine_args(work / "kernel", work / "initrd.img", work / "base.qcow2", choose_accel())
    command += ["-serial", "stdio", "-no-reboot", "-nic", f"user,model=virtio-net-pci,{recipe.SLIRP_NET}"]
    steps.show("first boot: the image boots, settles, initialises LXD and powers off (kept in the image)", command)
    seconds = FIRST_BOOT * load_factor()
    console = pexpect.spawn(command[0], command[1:], encoding="utf-8", codec_errors="replace", timeout=seconds)
    start = time.monotonic()
    try:
        console.expect(f"root@{HOSTNAME}")
        booted = time.monotonic() - start
        setup = " && ".join(recipe.FIRST_BOOT_SETUP)
        console.sendline(
            f"systemctl is-system-running --wait; if {setup}; then echo settled-$((6*7)); "
            "else echo setup-failed-$((6*7)); fi; sync; poweroff"
        )
        # the answers, not the echo of the command line
        if console.expect(["settled-42", "setup-failed-42"]) == 1:
            raise BuildError(f"first boot: {setup} failed: {(console.before or '').strip()[-300:]}")
        settled = time.monotonic() - start
        console.expect(pexpect.EOF)
        steps.say(
            f"first boot: a shell after {booted:.0f} s, settled after {settled:.0f} s, off after "
            f"{time.monotonic() - start:.0f} s"
        )
    except pexpect.TIMEOUT:
        raise BuildError(f"first boot: the new image did not boot and power off within {seconds:.0f} s") from None
    except pexpect.EOF:
        raise BuildError(f"first boot: QEMU stopped: {(console.before or '').strip()[-200:]}") from None
    finally:
        console.close(force=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
