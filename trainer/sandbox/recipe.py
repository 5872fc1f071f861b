"""What goes into the sandbox image: packages, and how the root file system is set up for a fast
boot and a small image.

Kept apart from the build steps so that a change here is visible in one place, and so that the
build can tell (by a stamp of this recipe) whether an existing image is up to date.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

# debootstrap --include: a bootable systemd machine that lpic3 can log in to.
BASE_PACKAGES = [
    "systemd-sysv",
    "udev",
    "dbus",
    "linux-image-amd64",
    "kmod",
    "procps",
    "util-linux",
    "login",
    "passwd",
    "openssh-server",
]

# apt-get install inside the root file system, added incrementally: a new entry installs only
# itself on the next build. These are the exam's tools (351-353) and what the labs use.
TOOLS = [
    # namespaces, cgroups, capabilities, networking
    "iproute2",
    "iputils-ping",
    "iptables",
    "libcap2-bin",
    "psmisc",
    "bridge-utils",
    "netcat-openbsd",
    "curl",
    "ca-certificates",
    # QEMU, libvirt, disk images
    "qemu-utils",
    "qemu-system-x86",
    "libvirt-daemon-system",
    "libvirt-clients",
    "libvirt-daemon-driver-qemu",
    "dnsmasq-base",
    "virtinst",
    # LXC, Docker, Podman and friends
    "lxc",
    "lxc-templates",
    "rsync",  # lxc-copy and lxc-snapshot -r copy a root file system with it (lxc only recommends it)
    "lxd",  # initialised at the first boot (FIRST_BOOT_SETUP): `lxc launch` works in a new sandbox
    "debootstrap",
    "busybox-static",
    "docker.io",
    "docker-compose",
    "podman",
    "catatonit",  # a pod's pause image is built from it (Debian only recommends it)
    "buildah",
    "skopeo",
    "uidmap",
    "crun",
    "apparmor",  # Docker, LXC and libvirt confine their guests with it, as on a Debian host
    # Xen (351.2): the hypervisor (booted by `sandbox up --xen`, with this machine as its dom0) and xl
    "xen-hypervisor-4.17-amd64",
    "xen-utils-4.17",
    # cloud-init (353.3), and for the learner: an editor, manual pages
    "cloud-init",
    "cloud-image-utils",
    "python3-yaml",
    "vim-tiny",
    "nano",
    "less",
    "man-db",
    "manpages",
    "bash-completion",
]

# lpic3's own units (trainer/sandbox/guest): a root shell on the console (the serial port, or Xen's
# console in Xen mode), the network.
CONSOLES = ["ttyS0", "hvc0"]
ENABLED = [*(f"lpic3-console@{tty}.service" for tty in CONSOLES), "lpic3-network.service"]
# Daemons that start on first use (through their sockets) instead of at boot: a sandbox that is
# ready in seconds matters more than a daemon that is warm before anyone needs it.
ON_DEMAND = ["docker.service", "containerd.service", "libvirtd.service", "libvirt-guests.service"]
SOCKETS = [
    "lxd.socket",
    "docker.socket",
    "libvirtd.socket",
    "libvirtd-ro.socket",
    "virtlogd.socket",
    "virtlockd.socket",
]
# Replaced by lpic3-network (QEMU's user-mode network has fixed addresses: no DHCP to wait for),
# or never needed in a throw-away machine.
DISABLED = ["systemd-networkd.service", "systemd-networkd.socket", "podman-restart.service"]
MASKED = [
    *(f"serial-getty@{tty}.service" for tty in CONSOLES),  # lpic3-console is the console
    "user@0.service",  # a systemd user manager for root costs seconds at the first login under TCG
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "man-db.timer",
    "e2scrub_all.timer",
    "e2scrub_reap.service",
    "fstrim.timer",
    "podman-auto-update.timer",
    "modprobe@drm.service",
    "systemd-pstore.service",
]
# Run once in the image's first boot, with the system up: what only a running system can set up.
# LXD as `lxd init --auto` leaves it (the daemon starts through its socket): a `dir` storage pool
# `default` and a bridge `lxdbr0` in the default profile, but on a fixed subnet (IPv4 only, NAT):
# `--auto` takes a random 10.x.y.0/24 that nothing answers on, and behind a proxy that accepts every
# TCP connection (this CI machine's) every candidate "answers" on port 22, so --auto fails.
LXD_BRIDGE = "10.147.0.1/24"
FIRST_BOOT_SETUP = [
    "lxc storage create default dir",
    f"lxc network create lxdbr0 ipv4.address={LXD_BRIDGE} ipv4.nat=true ipv6.address=none",
    "lxc profile device add default root disk path=/ pool=default",
    "lxc profile device add default eth0 nic network=lxdbr0 name=eth0",
]
# QEMU's user-mode network (-nic user) with its default addresses, spelled out: the guest sets
# them without DHCP (guest/lpic3-network), and its resolver is QEMU's.
SLIRP_DNS = "10.0.2.3"
SLIRP_NET = f"net=10.0.2.0/24,host=10.0.2.2,dns={SLIRP_DNS}"
GUEST = Path(__file__).with_name("guest")

# dpkg leaves these out of every package installed from now on; the base system's copies are
# deleted after debootstrap. Manual pages stay: the learner practises with them.
DPKG_EXCLUDES = """\
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/info/*
"""
TRIMMED = ["usr/share/doc", "usr/share/locale", "usr/share/info", "var/cache/apt/archives", "var/lib/apt/lists"]

# The initrd only needs to find the root file system on a virtio disk: a list of modules instead
# of "most" makes it a fraction of the size, and quicker to unpack under TCG.
INITRAMFS_CONF = "MODULES=list\n"
INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "ext4"]

IMAGE_SIZE = "8G"  # the file system's size; the qcow2 only holds the blocks in use
CONFIG_VERSION = 5  # bump when the configuration steps change, so built images are rebuilt


def stamp() -> str:
    """A digest of the recipe: an image built from the same recipe is up to date."""
    recipe = [BASE_PACKAGES, TOOLS, ENABLED, ON_DEMAND, SOCKETS, DISABLED, MASKED, DPKG_EXCLUDES]
    recipe += [INITRAMFS_CONF, INITRAMFS_MODULES, SLIRP_NET, SLIRP_DNS, FIRST_BOOT_SETUP]
    guest = {p.name: p.read_text() for p in sorted(GUEST.iterdir())}
    text = json.dumps([recipe, guest, IMAGE_SIZE, CONFIG_VERSION])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
