"""Amounts of memory and disk in the units a task names: what a tool wrote, counted in bytes, then
shown in KiB, MiB or GiB with as few digits as it needs (96, 1.5, 0.0625), so a matcher compares the size
and not the spelling (``<memory unit='KiB'>1048576</memory>`` is 1024 MiB)."""

from __future__ import annotations

import re

BINARY = ("KiB", "MiB", "GiB", "TiB")
UNIT_PATTERN = "|".join(BINARY[:3])  # the units a check may ask for

# The unit names libvirt reads (virScaleInteger, case-insensitive): b/byte/bytes; a prefix alone or
# with 'iB' counts in powers of 1024, with 'B' in powers of 1000.
_LIBVIRT_UNIT = re.compile(r"(?i)(b|bytes?)|([kmgtpe])(ib)?|([kmgtpe])b")


def libvirt_bytes(amount: str, unit: str) -> int | None:
    """``amount`` of libvirt's ``unit`` in bytes; None when either is not one libvirt reads."""
    scale = _LIBVIRT_UNIT.fullmatch(unit)
    if not amount.strip().isdigit() or not scale:
        return None
    if scale[1]:
        return int(amount)
    prefix, base = (str(scale[2]), 1024) if scale[2] else (str(scale[4]), 1000)
    power: int = base ** (1 + "kmgtpe".index(prefix.lower()))
    return int(amount) * power


def in_unit(count: int, unit: str) -> str:
    """``count`` bytes in ``unit`` (one of BINARY): a whole number when it is one, else up to 6 decimals."""
    value = count / 1024 ** (1 + BINARY.index(unit))
    return str(int(value)) if value == int(value) else f"{value:.6f}".rstrip("0")
