"""Where the sandbox keeps its files: the base image, kernel, keys, the throw-away overlay, state."""

from __future__ import annotations

import json
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from checkers.privdir import PrivateDirError, private_dir
from trainer.errors import SandboxError
from trainer.paths import user_data_dir

HOSTNAME = "lpic3-sandbox"


@dataclass(frozen=True, slots=True)
class Owner:
    """Who a sandbox built by root belongs to: the user who ran ``sudo lpic3 sandbox build``."""

    uid: int
    gid: int
    name: str
    home: Path

    def sandbox(self) -> SandboxFiles:
        """Where that user's own ``lpic3`` looks for the sandbox (the platform's data folder)."""
        return SandboxFiles(self.home / ".local/share/lpic3/sandbox")


def sudo_invoker() -> Owner | None:
    """The user behind ``sudo``: sudo gives root's HOME, so a build would land in root's data folder,
    where that user's ``lpic3 sandbox up`` never looks. None when not run through sudo by an
    ordinary user, or when LPIC3_HOME says where the data goes."""
    uid = os.environ.get("SUDO_UID", "")
    if os.geteuid() != 0 or not uid.isdigit() or int(uid) == 0 or os.environ.get("LPIC3_HOME"):
        return None
    try:
        entry = pwd.getpwuid(int(uid))
    except KeyError:
        return None
    return Owner(entry.pw_uid, entry.pw_gid, entry.pw_name, Path(entry.pw_dir))


@dataclass(frozen=True, slots=True)
class SandboxFiles:
    root: Path

    @classmethod
    def default(cls) -> SandboxFiles:
        return cls(user_data_dir() / "sandbox")

    def check_private(self) -> None:
        """The folder must be private (checkers.privdir): it holds the key that logs in to the VM
        as root and the serial console's socket, a root shell for whoever can connect to it."""
        try:
            private_dir(self.root)
        except PrivateDirError as exc:
            raise SandboxError(exc.args[0]) from None

    @property
    def image(self) -> Path:
        return self.root / "base.qcow2"

    @property
    def kernel(self) -> Path:
        """The image's kernel: uncompressed (an ELF that QEMU starts at its PVH entry) when the
        build could unpack it, which saves the seconds TCG needs to decompress it at each boot."""
        return self.root / "kernel"

    @property
    def initrd(self) -> Path:
        return self.root / "initrd.img"

    @property
    def xen(self) -> Path:
        """The Xen hypervisor taken from the image, uncompressed (QEMU loads it as a multiboot
        kernel, with the image's kernel and initrd as its modules): `sandbox up --xen`."""
        return self.root / "xen"

    @property
    def key(self) -> Path:
        """The private key lpic3 logs in with; the image trusts its public half."""
        return self.root / "id_ed25519"

    @property
    def host_key(self) -> Path:
        """The VM's SSH host key, made at build time, so the client can check it strictly."""
        return self.root / "ssh_host_ed25519_key"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh_config"

    @property
    def overlay(self) -> Path:
        return self.root / "overlay.qcow2"

    @property
    def serial(self) -> Path:
        return self.root / "serial.sock"

    @property
    def qmp(self) -> Path:
        """QEMU's QMP socket: how `down` asks the guest to power off and the ready state is saved."""
        return self.root / "qmp.sock"

    @property
    def ready_layer(self) -> Path:
        """The disk as it was when the ready state was saved: read-only, the backing file of every
        overlay a restored machine runs on (its RAM state saw exactly this disk)."""
        return self.root / "ready.qcow2"

    @property
    def ready_state(self) -> Path:
        """The machine's RAM and device state, saved once a cold boot was ready (QEMU migration)."""
        return self.root / "ready.state"

    @property
    def ready_key(self) -> Path:
        """What the saved state fits: the image, QEMU's version and the accelerator; written last."""
        return self.root / "ready.json"

    @property
    def timings(self) -> Path:
        """How long each phase of ``up`` took last time here: what its bar measures against."""
        return self.root / "timings.json"

    def forget_ready(self) -> None:
        for path in (self.ready_key, self.ready_state, self.ready_layer):
            path.unlink(missing_ok=True)

    @property
    def pidfile(self) -> Path:
        return self.root / "qemu.pid"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def stamp(self) -> Path:
        """The recipe the image was built from; written last, so it also marks a finished build."""
        return self.root / "base.stamp"

    @property
    def built(self) -> bool:
        """Complete only when every part exists: a half-built image is never used."""
        return not self.missing_parts()

    def missing_parts(self) -> list[str]:
        """The parts of a built sandbox that are not there (an image built before lpic3 took the Xen
        hypervisor out of it has no ``xen``)."""
        parts = (self.image, self.kernel, self.initrd, self.xen, self.key, self.known_hosts, self.stamp)
        return [p.name for p in parts if not p.exists()]

    def state(self) -> dict[str, object]:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def reset_takes(self) -> str:
        """How long a reset of this sandbox takes, as a screen tells the learner before it starts:
        a restore of the saved machine, or a cold boot of Xen and its dom0 in Xen mode."""
        return "about a minute: Xen mode boots cold" if self.state().get("mode") == "xen" else "about 20 s"

    def save_state(self, state: dict[str, object]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_file)


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` in this mount namespace: never delete through them."""
    prefix = str(path.resolve())
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[4].replace("\\040", " ") for line in lines]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]
