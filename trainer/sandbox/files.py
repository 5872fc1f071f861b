"""Where the sandbox keeps its files: the base image, kernel, keys, the throw-away overlay, state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from trainer.paths import user_data_dir

HOSTNAME = "lpic3-sandbox"


@dataclass(frozen=True, slots=True)
class SandboxFiles:
    root: Path

    @classmethod
    def default(cls) -> SandboxFiles:
        return cls(user_data_dir() / "sandbox")

    @property
    def image(self) -> Path:
        return self.root / "base.qcow2"

    @property
    def kernel(self) -> Path:
        return self.root / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.root / "initrd.img"

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
    def pidfile(self) -> Path:
        return self.root / "qemu.pid"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def built(self) -> bool:
        """Complete only when every part exists: a half-built image is never used."""
        return all(p.exists() for p in (self.image, self.kernel, self.initrd, self.key, self.known_hosts))

    def state(self) -> dict[str, object]:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def save_state(self, state: dict[str, object]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_file)
