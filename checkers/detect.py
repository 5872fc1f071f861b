"""What a target can run: each lab feature (checkers.features) probed for real, with the reason.

``/dev/kvm`` existing is not enough for ``kvm`` (on some hosts a guest hangs): a short timed boot
of a Linux guest decides (checkers.kvm).
"""

from __future__ import annotations

from dataclasses import dataclass

from checkers.features import FEATURES
from checkers.kvm import guest_boots
from checkers.shell import Shell

# A kernel with its modules on the host: libguestfs's appliance and the guest kit both boot it.
HOST_KERNEL = "ls /boot/vmlinuz-* && ls -d /lib/modules/*/kernel"
# feature -> (command that must succeed, what is missing when it fails)
CHECKS: dict[str, tuple[str, str]] = {
    "root": ('test "$(id -u)" = 0', "commands do not run as root"),
    "userns": ("unshare --user --map-root-user true", "unprivileged user namespaces are off"),
    "netns": ('test "$(id -u)" = 0 && ip netns list >/dev/null', "ip netns needs root and iproute2"),
    "cgroups": (
        "test -f /sys/fs/cgroup/memory/memory.usage_in_bytes -a -f /sys/fs/cgroup/pids/cgroup.procs"
        " -a -f /sys/fs/cgroup/cpu/cpu.shares || { grep -qw memory /sys/fs/cgroup/cgroup.controllers"
        " && grep -qw pids /sys/fs/cgroup/cgroup.controllers && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; }",
        "neither cgroup v1 nor cgroup v2 offers the memory, pids and cpu controllers",
    ),
    "cgroup-v1": (
        "test -f /sys/fs/cgroup/memory/memory.usage_in_bytes -a -f /sys/fs/cgroup/pids/cgroup.procs"
        " -a -f /sys/fs/cgroup/cpu/cpu.shares",
        "no cgroup v1 memory, pids and cpu hierarchies under /sys/fs/cgroup",
    ),
    "cgroup-v2": (
        'test "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs && grep -qw memory '
        "/sys/fs/cgroup/cgroup.controllers && grep -qw pids /sys/fs/cgroup/cgroup.controllers",
        "/sys/fs/cgroup is not a cgroup v2 hierarchy with memory and pids controllers",
    ),
    "systemd": ('test "$(cat /proc/1/comm)" = systemd', "PID 1 is not systemd"),
    "capabilities": ("command -v capsh && command -v setcap && command -v getcap", "libcap2-bin is not installed"),
    "qemu-img": ("command -v qemu-img", "qemu-img is not installed (qemu-utils)"),
    "qemu": ("command -v qemu-system-x86_64", "qemu-system-x86_64 is not installed (qemu-system-x86)"),
    "libvirt": ("virsh -c qemu:///system version", "no libvirtd answers at qemu:///system"),
    "libguestfs": (  # supermin builds the appliance from the host's own kernel and modules
        f"command -v guestfish && {HOST_KERNEL}",
        "libguestfs-tools is not installed, or no kernel for its appliance (linux-image-amd64)",
    ),
    "guest-kit": (  # the host's kernel boots the guest; its modules reach the disk and the network
        f"{HOST_KERNEL} && command -v modprobe && command -v dropbear"
        " && command -v scp && busybox --list | grep -qx cpio",
        "no kernel with modules in /boot (linux-image-amd64), or dropbear (dropbear-bin), scp or static busybox"
        " missing",
    ),
    "xen": (
        "xl info",
        "no Xen hypervisor runs here: start the sandbox with `lpic3 sandbox up --xen` (after `lpic3 sandbox down`"
        " if it runs)",
    ),
    "xen-tools": ("command -v xen-create-image || command -v xl", "the Xen tools are not installed"),
    "xen-config": (
        "python3 -c 'import ctypes.util as u, sys; sys.exit(not u.find_library(\"xlutil\"))'",
        "libxlutil (package libxenmisc, from xen-utils) or python3 missing",
    ),
    "lxc": ("command -v lxc-create && ip link show lxcbr0", "LXC tools or the lxcbr0 bridge (lxc-net) missing"),
    "lxd": ("lxc info", "no LXD daemon answers to the lxc client"),
    "docker": ("docker info", "no Docker daemon answers"),
    "docker-registry": ("command -v docker-registry", "docker-registry is not installed"),
    "podman": ("podman info", "podman is not installed, or its image store cannot be used (package podman)"),
    "buildah": ("buildah info", "buildah is not installed, or its storage cannot be used (package buildah)"),
    "skopeo": ("command -v skopeo", "skopeo is not installed (package skopeo)"),
    "compose": ("docker-compose version || docker compose version", "Docker Compose is not installed"),
    "cloud-init": ("command -v cloud-init && command -v cloud-localds", "cloud-init or cloud-image-utils missing"),
    "openstack-sdk": (  # found, not imported: importing openstack takes seconds
        "python3 -c 'import importlib.util as u, sys; sys.exit(u.find_spec(\"openstack\") is None)'",
        "openstacksdk is missing (python3-openstacksdk)",
    ),
    "packer": ("command -v packer", "packer is not installed"),
    "vagrant": ("command -v vagrant", "vagrant is not installed"),
    "kubectl": ("command -v kubectl", "kubectl is not installed"),
}
assert set(CHECKS) | {"kvm"} == set(FEATURES), "every feature needs a detection"


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    available: bool
    reason: str


def detect(shell: Shell, names: list[str] | None = None) -> dict[str, Feature]:
    """Probe ``names`` (default: all features) on the target behind ``shell``."""
    found = {}
    for name in list(FEATURES) if names is None else names:
        if name == "kvm":
            ok, reason = guest_boots(shell)
            found[name] = Feature(name, ok, "available: " + reason if ok else reason)
            continue
        command, missing = CHECKS[name]
        result = shell.run(f"{{ {command} ; }} >/dev/null 2>&1", timeout=20)
        ok = result.status == 0
        # A tool that is missing or not the real one is named as such (checkers.tools), not taken for a missing daemon.
        found[name] = Feature(name, ok, "available" if ok else result.refused or missing)
    return found
