"""The KVM probe boots a real Linux kernel and reads its first console line; it is proved here with
TCG (which works everywhere QEMU does) and with a guest that cannot boot."""

from __future__ import annotations

import glob
import os
import re
import shutil
from pathlib import Path

import pytest

from checkers.kvm import guest_boots
from checkers.session import ShellSession

KERNELS = glob.glob("/boot/vmlinuz-*")
pytestmark = [
    pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="needs qemu-system-x86_64 (qemu-system-x86)"),
    pytest.mark.skipif(not KERNELS, reason="needs a kernel in /boot to boot (linux-image-amd64)"),
]


def test_a_linux_guest_boots_under_tcg(local_shell: ShellSession) -> None:
    ok, reason = guest_boots(local_shell, accel="tcg", remember=False)
    assert ok, reason
    assert "booted with -accel tcg" in reason


def test_the_verdict_is_remembered_in_the_private_state_folder(local_shell: ShellSession) -> None:
    """Measured once, then read back; kept in /var/lib/lpic3 (root's, 0700), never in /var/tmp."""
    from checkers.kvm import VERDICT_NAME
    from checkers.privdir import ROOT_STATE

    if os.geteuid() != 0:
        pytest.skip("root's verdict folder is /var/lib/lpic3")
    verdict = Path(ROOT_STATE) / VERDICT_NAME.format(accel="tcg")
    verdict.unlink(missing_ok=True)
    try:
        first, second = (guest_boots(local_shell, accel="tcg")[1] for _ in range(2))
        assert "(remembered)" not in first and second == "a Linux guest booted with -accel tcg (remembered)"
        assert verdict.read_text().startswith("works\ntcg ")
        assert Path(ROOT_STATE).lstat().st_mode & 0o777 == 0o700
    finally:
        verdict.unlink(missing_ok=True)


def test_a_guest_that_cannot_start_is_a_no(
    local_shell: ShellSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel that is not one: QEMU either refuses it or runs nothing; either way the answer is no."""
    from checkers import kvm

    bogus = tmp_path / "not-a-kernel"
    bogus.write_bytes(b"\0" * 4096)
    monkeypatch.setattr(kvm, "BOOT_SECONDS", 3)
    monkeypatch.setattr(kvm, "_SCRIPT", f"LPIC3_KVM_KERNEL={bogus}\n" + kvm._SCRIPT)
    ok, reason = guest_boots(local_shell, accel="tcg", remember=False)
    assert not ok
    assert re.search(r"printed nothing within \d+ s under -accel tcg", reason) or "could not start a guest" in reason
