"""The target features a lab can require. Detecting them on a target comes with the lab runner;
the names live here so that the linter can reject a misspelt requirement today."""

FEATURES: dict[str, str] = {
    "root": "commands run as root on the target",
    "userns": "unprivileged user namespaces",
    "netns": "network namespaces (ip netns)",
    "cgroups": "memory, pids and cpu controllers, in cgroup v1 or v2 (labs that work with either)",
    "cgroup-v1": "cgroup v1 hierarchies with the memory, pids and cpu controllers",
    "cgroup-v2": "the unified cgroup v2 hierarchy with the memory, pids and cpu controllers",
    "systemd": "systemd running as PID 1",
    "capabilities": "libcap tools (capsh, getcap, setcap)",
    "qemu-img": "the qemu-img tool",
    "qemu": "qemu-system-x86_64 (TCG at least)",
    "kvm": "a working KVM (a guest really boots with -accel kvm)",
    "libvirt": "a running libvirtd reachable at qemu:///system",
    "libguestfs": "libguestfs tools (guestfish, virt-*) with a working appliance",
    "xen-tools": "the Xen toolstack's files and tools (xl, xen-create-image); no hypervisor needed",
    "xen-config": "Xen's configuration parser (libxlutil, from the xl toolstack) and python3; no hypervisor needed",
    "lxc": "the classic LXC tools (lxc-*) with a bridge",
    "lxd": "a running LXD daemon and the lxc client",
    "docker": "a running Docker daemon",
    "podman": "podman able to run a container",
    "compose": "Docker Compose (docker-compose v1 or the docker compose v2 plugin), client side",
    "cloud-init": "cloud-init and cloud-localds",
    "packer": "the packer tool",
    "vagrant": "the vagrant tool",
    "kubectl": "the kubectl client (client-side only)",
}
