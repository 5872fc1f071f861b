"""Setting up the sandbox's root file system before it becomes an image: the machine's identity, a
root login on the serial console, SSH with lpic3's own keys, a boot that starts only what the
labs need at once, a small initrd, and no caches or documentation nobody reads inside a VM.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.sandbox import recipe
from trainer.sandbox.files import HOSTNAME, SandboxFiles

if TYPE_CHECKING:
    from trainer.sandbox.build import Steps

GUEST_FILES = {  # file in trainer/sandbox/guest: where it goes in the image
    "lpic3-console@.service": "etc/systemd/system",
    "lpic3-network.service": "etc/systemd/system",
    "lpic3-network": "usr/local/sbin",
    "lpic3-sshd.conf": "etc/ssh/sshd_config.d",
    "lpic3-ssh-noreexec.conf": "etc/systemd/system/ssh.service.d",
    "xen-guest-rcS": "usr/local/lib/lpic3",
    "xen-guest-inittab": "usr/local/lib/lpic3",
}
# A small Xen PV guest for the xl labs (351.2), made at build time: the image's own kernel, and an
# initramfs holding only a static busybox, which is its /init (busybox init, with xen-guest-inittab).
XEN_GUEST = "srv/xen"
XEN_GUEST_COMMANDS = [
    "d=$(mktemp -d)",
    "mkdir -p $d/bin $d/sbin $d/usr/bin $d/usr/sbin $d/etc/init.d $d/dev $d/proc $d/sys /" + XEN_GUEST,
    "cp /bin/busybox $d/bin/busybox",
    "ln -s bin/busybox $d/init",
    "cp /usr/local/lib/lpic3/xen-guest-rcS $d/etc/init.d/rcS",
    "cp /usr/local/lib/lpic3/xen-guest-inittab $d/etc/inittab",
    f"(cd $d && find . | cpio -o -H newc --quiet) | gzip -9 > /{XEN_GUEST}/busybox-initrd.gz",
    "rm -rf $d",
    f"cp /boot/vmlinuz-* /{XEN_GUEST}/vmlinuz",
]
MOTD = """
This is the lpic3 sandbox: a throw-away Debian 12 machine for the labs.
`lpic3 sandbox reset` (on your machine) brings it back to a clean state in seconds.
Docker and libvirtd start on first use. Run `apt-get update` before installing packages.

"""


def configure(files: SandboxFiles, rootfs: Path, steps: Steps) -> None:
    steps.step("configuring: hostname, fstab, network, serial console, SSH keys, what starts at boot")
    (rootfs / "etc/hostname").write_text(f"{HOSTNAME}\n")
    (rootfs / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {HOSTNAME}\n")
    (rootfs / "etc/fstab").write_text("LABEL=root / ext4 defaults 0 1\n")
    (rootfs / "etc/motd").write_text(MOTD)
    (rootfs / "etc/resolv.conf").unlink(missing_ok=True)  # may be a link to a resolver not installed
    (rootfs / "etc/resolv.conf").write_text(f"nameserver {recipe.SLIRP_DNS}\n")
    _write(rootfs / "etc/modules-load.d/lpic3.conf", "virtio_net\n")  # eth0 before udev gets round to it
    _write(rootfs / "etc/systemd/journald.conf.d/lpic3.conf", "[Journal]\nStorage=volatile\n")
    # The sandbox is no cloud instance: cloud-init is there to be studied (353.3), not to run at boot.
    _write(rootfs / "etc/cloud/cloud-init.disabled", "lpic3: the sandbox is configured at build time\n")
    for name, where in GUEST_FILES.items():
        (rootfs / where).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(recipe.GUEST / name, rootfs / where / name)
        executable = where.endswith("sbin") or name.endswith("rcS")
        (rootfs / where / name).chmod(0o755 if executable else 0o644)  # whatever the wheel kept
    _ssh(files, rootfs, steps)
    _write(rootfs / "etc/initramfs-tools/conf.d/lpic3-sandbox", recipe.INITRAMFS_CONF)
    _write(rootfs / "etc/initramfs-tools/modules", "".join(f"{m}\n" for m in recipe.INITRAMFS_MODULES))
    steps.chroot(
        rootfs,
        [
            f"systemctl enable {' '.join(recipe.ENABLED)}",
            f"systemctl disable {' '.join(recipe.ON_DEMAND + recipe.DISABLED)}",
            f"systemctl enable {' '.join(recipe.SOCKETS)}",  # disabling a service disables its sockets too
            f"systemctl mask {' '.join(recipe.MASKED)}",
            "update-initramfs -u -k all",
            *XEN_GUEST_COMMANDS,
        ],
        "systemctl enable/disable/mask, update-initramfs: a boot that starts only what is needed, a small initrd;"
        f" a Xen PV guest's kernel and busybox initramfs in /{XEN_GUEST}",
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _ssh(files: SandboxFiles, rootfs: Path, steps: Steps) -> None:
    """root logs in with lpic3's key; the host key is made here, so the client checks it strictly."""
    for key in (files.key, files.host_key):
        if not key.exists():
            steps.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lpic3-sandbox", "-f", key],
                f"ssh-keygen: {key.name}",
                step=False,
            )
    ssh = rootfs / "root/.ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh / "authorized_keys").write_text(files.key.with_suffix(".pub").read_text())
    for old in (rootfs / "etc/ssh").glob("ssh_host_*"):
        old.unlink()
    shutil.copy(files.host_key, rootfs / "etc/ssh/ssh_host_ed25519_key")
    shutil.copy(files.host_key.with_suffix(".pub"), rootfs / "etc/ssh/ssh_host_ed25519_key.pub")
    os.chmod(rootfs / "etc/ssh/ssh_host_ed25519_key", 0o600)
    # Every login ran the update-motd.d scripts through pam_motd: sshd prints /etc/motd (lpic3-sshd.conf).
    pam = rootfs / "etc/pam.d/sshd"
    pam.write_text("".join(line for line in pam.read_text().splitlines(True) if "pam_motd.so" not in line))
    public = files.host_key.with_suffix(".pub").read_text().split()
    files.known_hosts.write_text(f"{HOSTNAME} {public[0]} {public[1]}\n")


def trim(rootfs: Path) -> None:
    """Delete documentation, translations and apt's caches (copyright files stay)."""
    for rel in recipe.TRIMMED:
        top = rootfs / rel
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*"), reverse=True):  # children before their directories
            if path.is_symlink() or path.is_file():
                if path.name not in ("copyright", "lock"):
                    path.unlink()
            elif path.name != "partial" and not any(path.iterdir()):
                path.rmdir()
