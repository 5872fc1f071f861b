"""Each probe against real state the test makes itself: namespaces, cgroups, capabilities, links,
images, libvirt domains and networks, Docker containers, LXC containers, LXD instances. Everything is
named lpic3-test-* and removed afterwards; daemons the test had to start are stopped by PID."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.probes import run_probe
from checkers.session import ShellSession
from tests.daemons import docker_turn, ensure_dockerd, ensure_libvirtd, ensure_lxc_net, ensure_lxd

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="creating namespaces, cgroups and links needs root")


def sh(command: str) -> str:
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True, timeout=120).stdout


def needs(*tools: str) -> None:
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.fixture
def name() -> str:
    return f"lpic3-test-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def sandboxed_sleep(tmp_path: Path) -> Iterator[int]:
    """A sleep in new UTS and PID namespaces; yields its PID as seen from the host."""
    proc = subprocess.Popen(["unshare", "--uts", "--pid", "--fork", "--mount-proc", "sleep", "120"])
    try:
        for _ in range(50):
            children = sh(f"ps -o pid= --ppid {proc.pid} || true").split()
            if children:
                break
            time.sleep(0.05)
        yield int(children[0])
    finally:
        proc.kill()
        proc.wait()


@needs_root
def test_namespaces(local_shell: ShellSession, sandboxed_sleep: int, tmp_path: Path, name: str) -> None:
    pidfile = tmp_path / "pid"
    pidfile.write_text(f"{sandboxed_sleep}\n")
    assert run_probe(local_shell, "ns.own", {"pid_cmd": f"cat {pidfile}", "types": "uts,pid"}).passed
    net = run_probe(local_shell, "ns.own", {"pid_cmd": f"cat {pidfile}", "types": "uts,net"})
    assert not net.passed and "net" in net.seen
    joined = subprocess.Popen(["nsenter", "-t", str(sandboxed_sleep), "-u", "sleep", "120"])
    try:
        shared = {"pid_cmd": f"cat {pidfile}", "other_pid_cmd": f"echo {joined.pid}", "types": "uts"}
        assert run_probe(local_shell, "ns.shared", shared).passed
        assert not run_probe(local_shell, "ns.shared", shared | {"types": "pid"}).passed
    finally:
        joined.kill()
        joined.wait()
    gone = run_probe(local_shell, "ns.own", {"pid_cmd": "echo 999999999", "types": "uts"})
    assert not gone.passed and "not running" in gone.seen
    assert not run_probe(local_shell, "ns.netns", {"name": name}).passed
    sh(f"ip netns add {name}")
    try:
        assert run_probe(local_shell, "ns.netns", {"name": name}).passed
    finally:
        sh(f"ip netns del {name}")
    assert run_probe(local_shell, "ns.netns", {"name": name, "present": False}).passed


@needs_root
def test_a_named_netns_must_be_a_namespace_of_its_own(local_shell: ShellSession, name: str) -> None:
    """`ip netns list` lists whatever file is in /run/netns: a plain file there, or the host's own
    namespace attached under the name, is not a namespace of its own."""
    try:
        sh(f"mkdir -p /run/netns && touch /run/netns/{name}")
        plain = run_probe(local_shell, "ns.netns", {"name": name})
        assert not plain.passed and "plain file" in plain.seen, plain
        sh(f"rm /run/netns/{name} && ip netns attach {name} $$")  # the test's shell: the host's namespace
        host = run_probe(local_shell, "ns.netns", {"name": name})
        assert not host.passed and "the host's own" in host.seen, host
        sh(f"ip netns del {name} && ip netns add {name}")
        own = run_probe(local_shell, "ns.netns", {"name": name})
        assert own.passed and "not the host's" in own.seen, own
    finally:
        sh(f"ip netns del {name} 2>/dev/null || rm -f /run/netns/{name}")


@needs_root
def test_links_addresses_and_ping(local_shell: ShellSession, name: str) -> None:
    a, b = f"{name}-a", f"{name}-b"
    try:
        sh(
            f"ip netns add {a}; ip netns add {b}; ip link add va type veth peer name vb; "
            f"ip link set va netns {a}; ip link set vb netns {b}; "
            f"ip -n {a} addr add 10.99.7.1/24 dev va; ip -n {b} addr add 10.99.7.2/24 dev vb; ip -n {a} link set va up"
        )
        assert run_probe(local_shell, "net.link", {"name": "va", "netns": a, "kind": "veth", "up": True}).passed
        down = run_probe(local_shell, "net.link", {"name": "vb", "netns": b, "up": True})
        assert not down.passed and "down" in down.seen
        assert run_probe(local_shell, "net.address", {"name": "va", "netns": a, "address": "10.99.7.1/24"}).passed
        assert not run_probe(local_shell, "net.address", {"name": "va", "netns": a, "address": "10.99.7.1/16"}).passed
        assert not run_probe(local_shell, "net.ping", {"address": "10.99.7.2", "netns": a}).passed
        sh(f"ip -n {b} link set vb up")
        assert run_probe(local_shell, "net.ping", {"address": "10.99.7.2", "netns": a}).passed
        assert not run_probe(local_shell, "net.link", {"name": "va"}).passed  # not in the host namespace
    finally:
        sh(f"ip netns del {a} 2>/dev/null; ip netns del {b} 2>/dev/null; true")


@needs_root
def test_cgroup_limits_and_membership(local_shell: ShellSession, name: str) -> None:
    v2 = sh("stat -f -c %T /sys/fs/cgroup").strip() == "cgroup2fs"
    proc = subprocess.Popen(["sleep", "120"])
    group = f"lpic3-test/{name}"
    try:
        if v2:
            sh(
                "echo +memory +pids > /sys/fs/cgroup/cgroup.subtree_control; mkdir -p /sys/fs/cgroup/lpic3-test;"
                " echo +memory +pids > /sys/fs/cgroup/lpic3-test/cgroup.subtree_control;"
                f" mkdir /sys/fs/cgroup/{group}; echo 67108864 > /sys/fs/cgroup/{group}/memory.max;"
                f" echo 5 > /sys/fs/cgroup/{group}/pids.max; echo {proc.pid} > /sys/fs/cgroup/{group}/cgroup.procs"
            )
        else:
            sh(
                f"mkdir -p /sys/fs/cgroup/memory/{group} /sys/fs/cgroup/pids/{group};"
                f" echo 64M > /sys/fs/cgroup/memory/{group}/memory.limit_in_bytes;"
                f" echo 5 > /sys/fs/cgroup/pids/{group}/pids.max;"
                f" echo {proc.pid} > /sys/fs/cgroup/memory/{group}/cgroup.procs"
            )
        limit = {"group": group, "limit": "memory", "equals": "67108864"}
        assert run_probe(local_shell, "cgroup.limit", limit).passed
        wrong = run_probe(local_shell, "cgroup.limit", limit | {"equals": "64000000"})
        assert not wrong.passed and "67108864" in wrong.seen
        assert run_probe(local_shell, "cgroup.limit", {"group": group, "limit": "pids", "equals": "5"}).passed
        # any matcher: a range of sizes in bytes, a limit that is not "max"
        memory = {"group": group, "limit": "memory"}
        assert run_probe(local_shell, "cgroup.limit", memory | {"between": [33554432, 134217728]}).passed
        assert run_probe(local_shell, "cgroup.limit", memory | {"not": {"equals": "max"}}).passed
        assert not run_probe(local_shell, "cgroup.limit", memory | {"not": {"equals": "64M"}}).passed
        member = {"pid_cmd": f"echo {proc.pid}", "group": group}
        assert run_probe(local_shell, "cgroup.member", member).passed
        of_process = {"pid_cmd": f"echo {proc.pid}", "limit": "memory", "equals": "64M"}
        assert run_probe(local_shell, "cgroup.process-limit", of_process).passed
        halved = run_probe(local_shell, "cgroup.process-limit", of_process | {"equals": "32M"})
        assert not halved.passed and "67108864 (64 MiB)" in halved.seen and group in halved.seen
        if not v2:
            outside = run_probe(local_shell, "cgroup.member", member | {"controller": "pids"})
            assert not outside.passed  # moved in the memory hierarchy only
    finally:
        proc.kill()
        proc.wait()
        base = "/sys/fs/cgroup" if v2 else "/sys/fs/cgroup/{memory,pids}"
        sh(f"for d in {base}/{group} {base}/lpic3-test; do rmdir $d 2>/dev/null; done; true")


@needs_root
def test_capabilities(local_shell: ShellSession, tmp_path: Path) -> None:
    needs("capsh", "setcap", "getcap")
    proc = subprocess.Popen(["capsh", "--drop=cap_net_raw", "--", "-c", "exec sleep 120"])
    try:
        time.sleep(0.3)
        args = {"pid_cmd": f"echo {proc.pid}", "set": "bounding"}
        assert run_probe(local_shell, "caps.process", args | {"lacks": "cap_net_raw", "has": "cap_chown"}).passed
        assert not run_probe(local_shell, "caps.process", args | {"has": "net_raw"}).passed
    finally:
        proc.kill()
        proc.wait()
    binary = tmp_path / "true"
    shutil.copy("/bin/true", binary)
    assert run_probe(local_shell, "caps.file", {"path": str(binary), "equals": ""}).passed
    sh(f"setcap cap_net_bind_service=ep {binary}")
    assert run_probe(local_shell, "caps.file", {"path": str(binary), "equals": "cap_net_bind_service=ep"}).passed
    assert not run_probe(local_shell, "caps.file", {"path": str(binary), "equals": "cap_net_bind_service=p"}).passed
    exact = {"path": str(binary), "equals": "cap_net_bind_service=ep"}
    assert run_probe(local_shell, "caps.file", exact).expected == f"{binary}: capabilities = cap_net_bind_service=ep"
    assert run_probe(local_shell, "caps.file", {"path": str(binary), "matches": "cap_net_bind_service[+=]e?p"}).passed


def test_images(local_shell: ShellSession, tmp_path: Path) -> None:
    needs("qemu-img")
    image = tmp_path / "disk.qcow2"
    sh(f"qemu-img create -q -f qcow2 {image} 32M")
    info = {"path": str(image), "key": "format", "equals": "qcow2"}
    assert run_probe(local_shell, "image.info", info).passed
    assert run_probe(local_shell, "image.info", info | {"key": "virtual-size", "equals": "33554432"}).passed
    assert not run_probe(local_shell, "image.snapshot", {"path": str(image), "name": "before"}).passed
    sh(f"qemu-img snapshot -c before {image}")
    assert run_probe(local_shell, "image.snapshot", {"path": str(image), "name": "before"}).passed
    missing = run_probe(local_shell, "image.info", {"path": str(tmp_path / "none"), "key": "format", "equals": "raw"})
    assert not missing.passed


DOMAIN = """<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><devices><serial type='pty'/></devices></domain>"""


@needs_root
def test_libvirt(local_shell: ShellSession, tmp_path: Path, name: str) -> None:
    needs("virsh", "libvirtd")
    stop = ensure_libvirtd()
    virsh = "virsh -q -c qemu:///system"
    try:
        (tmp_path / "d.xml").write_text(DOMAIN.format(name=name))
        sh(f"{virsh} define {tmp_path / 'd.xml'}")
        domain = {"name": name, "state": "running", "persistent": True}
        shut = run_probe(local_shell, "libvirt.domain", domain)
        assert not shut.passed and "shut off" in shut.seen
        sh(f"{virsh} start {name}")
        assert run_probe(local_shell, "libvirt.domain", domain).passed
        # libvirtd's own word on autostart; a snapshot taken while it runs records state running.
        off = run_probe(local_shell, "libvirt.domain", {"name": name, "autostart": True})
        assert not off.passed and off.seen.endswith("autostart disabled"), off
        sh(f"{virsh} autostart {name}")
        assert run_probe(local_shell, "libvirt.domain", {"name": name, "autostart": True}).passed
        snapshot = {"domain": name, "name": "s1", "state": "running"}
        assert run_probe(local_shell, "libvirt.snapshot", snapshot).seen == "snapshots: none"
        sh(f"{virsh} snapshot-create-as {name} s1 --memspec file={tmp_path / 'mem'},snapshot=external >/dev/null")
        assert run_probe(local_shell, "libvirt.snapshot", snapshot).passed
        shutoff = run_probe(local_shell, "libvirt.snapshot", snapshot | {"state": "shutoff"})
        assert (shutoff.passed, shutoff.seen) == (False, "snapshot s1, state running")
        sh(f"{virsh} snapshot-delete {name} s1 --metadata >/dev/null && {virsh} autostart --disable {name}")
        assert run_probe(local_shell, "libvirt.xml", {"name": name, "path": "memory", "equals": "65536"}).passed
        # A size in the unit the task names, whatever unit libvirt wrote it in (KiB for memory).
        in_mib = {"name": name, "path": "memory", "unit": "MiB"}
        assert run_probe(local_shell, "libvirt.xml", in_mib | {"equals": "64"}).seen == "memory in MiB = 64"
        assert not run_probe(local_shell, "libvirt.xml", in_mib | {"equals": "65536"}).passed
        assert run_probe(local_shell, "libvirt.xml", in_mib | {"unit": "GiB", "equals": "0.0625"}).passed
        # With fields, every element is a map and the matcher judges the list: the pty serial port 0.
        serial = {"name": name, "path": "devices/serial", "fields": ["@type", "target@port", "target@nothing"]}
        ports = run_probe(local_shell, "libvirt.xml", serial | {"contains": {"@type": "pty", "target@port": "0"}})
        assert ports.passed and ports.seen == "devices/serial, @type target@port target@nothing = pty 0 -", ports
        assert not run_probe(local_shell, "libvirt.xml", serial | {"contains": {"@type": "file"}}).passed
        assert not run_probe(local_shell, "libvirt.xml", serial | {"not": {"contains": {"@type": "pty"}}}).passed
        assert not run_probe(local_shell, "libvirt.xml", serial | {"contains": {"target@nothing": ""}}).passed
        assert run_probe(
            local_shell, "libvirt.xml", {"name": name, "path": ".", "attribute": "type", "equals": "qemu"}
        ).passed
        # A save file's own definition (virsh save-image-dumpxml); it has no inactive layer.
        sh(f"{virsh} save {name} {tmp_path / 's.save'} >/dev/null")
        saved = {"kind": "save", "name": str(tmp_path / "s.save"), "path": "name", "equals": name}
        assert run_probe(local_shell, "libvirt.xml", saved).passed
        assert not run_probe(local_shell, "libvirt.xml", saved | {"equals": "other"}).passed
        assert "does not apply" in run_probe(local_shell, "libvirt.xml", saved | {"inactive": True}).seen
        sh(f"{virsh} restore {tmp_path / 's.save'} >/dev/null")
        net = f"<network><name>{name}</name><bridge name='{name[-12:]}'/></network>"
        (tmp_path / "n.xml").write_text(net)
        sh(f"{virsh} net-define {tmp_path / 'n.xml'}")
        assert not run_probe(local_shell, "libvirt.active", {"name": name, "kind": "net"}).passed
        sh(f"{virsh} net-start {name}")
        assert run_probe(local_shell, "libvirt.active", {"name": name, "kind": "net", "autostart": False}).passed
        # A change to the running network only: the live XML has it, the persistent definition not.
        sh(f"{virsh} net-update {name} add dns-host \"<host ip='192.0.2.7'><hostname>lp</hostname></host>\" --live")
        dns = {"name": name, "kind": "net", "path": "dns/host", "attribute": "ip", "equals": "192.0.2.7"}
        assert run_probe(local_shell, "libvirt.xml", dns).passed
        live_only = run_probe(local_shell, "libvirt.xml", dns | {"inactive": True})
        assert not live_only.passed and live_only.seen == "dns/host@ip (persistent definition) = absent", live_only
        sh(f"{virsh} net-update {name} add dns-host \"<host ip='192.0.2.7'><hostname>lp</hostname></host>\" --config")
        assert run_probe(local_shell, "libvirt.xml", dns | {"inactive": True}).passed
        # A transient network has no persistent definition at all.
        sh(f"{virsh} net-destroy {name} && {virsh} net-undefine {name} && {virsh} net-create {tmp_path / 'n.xml'}")
        transient = run_probe(
            local_shell, "libvirt.xml", dns | {"path": "bridge", "attribute": "name", "inactive": True}
        )
        assert not transient.passed and "transient" in transient.seen, transient
    finally:
        sh(
            f"{virsh} destroy {name} 2>/dev/null; {virsh} undefine {name} 2>/dev/null;"
            f" {virsh} net-destroy {name} 2>/dev/null; {virsh} net-undefine {name} 2>/dev/null; true"
        )
        stop()
    assert not run_probe(local_shell, "libvirt.domain", {"name": name}).passed


@needs_root
def test_docker_inspect(local_shell: ShellSession, tmp_path: Path, name: str) -> None:
    needs("dockerd", "docker", "busybox")
    stop = ensure_dockerd(tmp_path / "dockerd.log")
    image = f"{name}/base:busybox"
    with docker_turn():  # it makes and removes a container: no Vagrant lab meanwhile
        try:
            root = tmp_path / "rootfs"
            (root / "bin").mkdir(parents=True)
            shutil.copy(shutil.which("busybox") or "/bin/busybox", root / "bin" / "busybox")
            sh(
                f"ln -s busybox {root}/bin/sh; ln -s busybox {root}/bin/sleep; tar -C {root} -cf {tmp_path}/r.tar . ;"
                f" docker import {tmp_path}/r.tar {image} >/dev/null;"
                f" docker run -d --name {name} --restart unless-stopped -m 64m {image} sleep 120 >/dev/null"
            )
            inspect = {"name": name, "key": "HostConfig.RestartPolicy.Name", "equals": "unless-stopped"}
            assert run_probe(local_shell, "container.inspect", inspect).passed
            assert run_probe(
                local_shell, "container.inspect", inspect | {"key": "HostConfig.Memory", "equals": "67108864"}
            ).passed
            running = inspect | {"key": "State.Running", "equals": "true"}
            assert run_probe(local_shell, "container.inspect", running).passed
            assert not run_probe(local_shell, "container.inspect", inspect | {"equals": "always"}).passed
            assert not run_probe(local_shell, "container.inspect", inspect | {"name": f"{name}-none"}).passed
        finally:
            sh(f"docker rm -f {name} >/dev/null 2>&1; docker rmi {image} >/dev/null 2>&1; true")
            stop()


@needs_root
def test_lxc(local_shell: ShellSession, name: str) -> None:
    needs("lxc-create", "busybox")
    stop = ensure_lxc_net()
    try:
        sh(f"lxc-create -q -n {name} -t busybox >/dev/null")
        stopped = run_probe(local_shell, "lxc.container", {"name": name, "state": "RUNNING"})
        assert not stopped.passed and "STOPPED" in stopped.seen
        sh(f"echo 'lxc.start.auto = 1' >> /var/lib/lxc/{name}/config; lxc-start -n {name}")
        assert run_probe(
            local_shell, "lxc.container", {"name": name, "state": "RUNNING", "key": "lxc.start.auto", "equals": "1"}
        ).passed
    finally:
        sh(f"lxc-stop -k -n {name} 2>/dev/null; lxc-destroy -n {name} >/dev/null 2>&1; true")
        stop()


@needs_root
def test_lxd(local_shell: ShellSession, tmp_path: Path, name: str) -> None:
    """An LXD instance from a BusyBox image the test imports (no image server), as LXD and the kernel see it."""
    needs("lxd", "lxc", "busybox")
    stop = ensure_lxd(tmp_path / "lxd.log")
    try:
        root = tmp_path / "image" / "rootfs"
        for folder in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc"):
            (root / folder).mkdir(parents=True)
        shutil.copy(shutil.which("busybox") or "/bin/busybox", root / "bin" / "busybox")
        (root.parent / "metadata.yaml").write_text(
            f"architecture: {os.uname().machine}\ncreation_date: {int(time.time())}\nproperties: {{os: {name}}}\n"
        )
        sh(
            f"ln -s busybox {root}/bin/sh; ln -s ../bin/busybox {root}/sbin/init;"
            f" tar -C {root.parent} -czf {tmp_path}/image.tar.gz metadata.yaml rootfs;"
            f" lxc image import {tmp_path}/image.tar.gz --alias {name} >/dev/null;"
            f" lxc init {name} {name} -c limits.memory=64MiB >/dev/null"
        )
        running = {"name": name, "status": "Running"}
        stopped = run_probe(local_shell, "lxd.instance", running)
        assert not stopped.passed and "Stopped" in stopped.seen
        limit = {"pid_cmd": f"lxc info {name} | awk '$1 == \"PID:\" {{print $2}}'", "limit": "memory", "equals": "64M"}
        no_pid = run_probe(local_shell, "cgroup.process-limit", limit)
        assert not no_pid.passed and "printed no PID" in no_pid.seen
        sh(f"lxc start {name}; lxc snapshot {name} before")
        assert run_probe(local_shell, "lxd.instance", running).passed
        memory = {"name": name, "key": "limits.memory", "equals": "65536KiB"}  # the same size spelled otherwise
        assert run_probe(local_shell, "lxd.instance", memory).passed
        decimal = run_probe(local_shell, "lxd.instance", memory | {"equals": "64MB"})
        assert not decimal.passed and "limits.memory = 64MiB" in decimal.seen
        assert run_probe(local_shell, "lxd.instance", {"name": name, "key": "image.os", "equals": name}).passed
        unset = {"name": name, "key": "limits.cpu", "absent": True}
        assert run_probe(local_shell, "lxd.instance", unset).seen.endswith("limits.cpu = absent")
        assert run_probe(local_shell, "lxd.instance", unset).passed
        spelled = {"name": name, "key": "limits.memory", "matches": "64MiB|67108864"}
        assert run_probe(local_shell, "lxd.instance", spelled).passed
        assert run_probe(local_shell, "lxd.instance", {"name": name, "snapshot": "before"}).passed
        other = run_probe(local_shell, "lxd.instance", {"name": name, "snapshot": "after"})
        assert not other.passed and "snapshots: before" in other.seen
        kernel = run_probe(local_shell, "cgroup.process-limit", limit)
        assert kernel.passed and f"lxc.payload.{name}" in kernel.seen, kernel
        missing = run_probe(local_shell, "lxd.instance", {"name": f"{name}-none"})
        assert not missing.passed and "not found" in missing.seen
    finally:
        sh(f"lxc delete --force {name} >/dev/null 2>&1; lxc image delete {name} >/dev/null 2>&1; true")
        stop()
