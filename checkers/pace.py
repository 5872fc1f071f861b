"""How long to wait for something: one place for how much slower than an idle machine with KVM
things run right now. Every wait in lpic3 (a command on a target, a guest booting, the sandbox VM
getting ready) is a figure measured on an idle machine, multiplied by what is known to slow it:
TCG emulating every instruction of a guest, and the load of the machine (a loaded 2-core box runs
everything slower; a wait that does not grow with it turns a slow answer into a wrong verdict)."""

from __future__ import annotations

import os

SLOWDOWN = {"kvm": 1.0, "tcg": 4.0}  # a guest under TCG runs about four times slower than under KVM
MAX_LOAD_FACTOR = 4.0  # a machine busier than this is not waited for any longer


def load_factor() -> float:
    """How much slower than idle this machine runs now: the one-minute load average per core,
    between 1 (idle) and ``MAX_LOAD_FACTOR``."""
    per_core = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(max(1.0, per_core), MAX_LOAD_FACTOR)


def slowdown(accel: str) -> float:
    """How much slower a guest runs under ``accel`` than under KVM (an unknown one counts as TCG)."""
    return SLOWDOWN.get(accel, SLOWDOWN["tcg"])


def budget(kvm_seconds: float, accel: str = "kvm") -> float:
    """A wait's bound: ``kvm_seconds`` (idle, KVM) scaled for the accelerator and the current load."""
    return kvm_seconds * slowdown(accel) * load_factor()
