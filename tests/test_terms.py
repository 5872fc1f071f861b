"""Whole-word term matching, the rule behind lesson coverage."""

from __future__ import annotations

import pytest

from trainer.curriculum.terms import mentions


@pytest.mark.parametrize(
    ("text", "spelling", "found"),
    [
        ("run qemu -m 512", "qemu", True),
        ("use qemu-img convert", "qemu", False),
        ("qemuctl", "qemu", False),
        ("QEMU is an emulator", "qemu", True),
        ("see /etc/xen/xl.cfg", "/etc/xen/", True),
        ("see /etc/xen", "/etc/xen/", False),
        ("the ip link command", "ip link", True),
        ("zip link", "ip link", False),
        ("hypervisors", "hypervisor", False),
        ("(HVM)", "HVM", True),
        ("x_hvm", "HVM", False),
        ("", "qemu", False),
        ("qemu-img and later qemu", "qemu", True),
    ],
)
def test_whole_word_mentions(text: str, spelling: str, found: bool) -> None:
    assert mentions(text.casefold(), spelling) is found
