"""How far a long build step has come, read from what its command prints, and a bar that shows it.

The build's two long steps are apt at work: mmdebstrap (which prints its phases) and apt-get
install in the chroot (which reports per cent done through ``APT::Status-Fd``). A meter turns one
line of their output into the fraction done, or None. The bar is drawn on a terminal only, on one
line that the next line of progress text replaces; a rootless build, whose output reaches the
user through a pipe, sends its fractions as marked lines (``BAR_MARK``) that the parent draws.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from typing import TextIO

Bar = Callable[[float, str], None]  # (fraction done, what is being done)
Meter = Callable[[str], tuple[float, str] | None]
BAR_MARK = "lpic3-bar: "
WIDTH = 24

# mmdebstrap's phases, in the order it says them, with roughly how far along each starts.
MMDEBSTRAP_PHASES = [
    ("I: running apt-get update", 0.03),
    ("I: downloading packages", 0.08),
    ("I: extracting archives", 0.35),
    ("I: installing essential packages", 0.45),
    ("I: installing remaining packages", 0.6),
    ("I: cleaning package lists", 0.97),
]


def mmdebstrap_meter(line: str) -> tuple[float, str] | None:
    for start, fraction in MMDEBSTRAP_PHASES:
        if line.startswith(start):
            return fraction, line.removeprefix("I: ").rstrip(".")
    return None


def apt_meter(line: str) -> tuple[float, str] | None:
    """``dlstatus:N:PCT:text`` (downloading: the first half) and ``pmstatus:PKG:PCT:text``
    (unpacking and setting up: the second), as apt writes them to its status file descriptor."""
    kind, _, rest = line.partition(":")
    if kind not in ("dlstatus", "pmstatus"):
        return None
    fields = rest.split(":", 2)
    try:
        percent = float(fields[1])
    except (IndexError, ValueError):
        return None
    text = fields[2].strip() if len(fields) > 2 else ""
    return (percent / 200 if kind == "dlstatus" else 0.5 + percent / 200), text


def relayed(line: str) -> tuple[float, str] | None:
    """A fraction the build inside a user namespace sent (``relay``), or None for any other line."""
    if not line.startswith(BAR_MARK):
        return None
    fraction, _, text = line.removeprefix(BAR_MARK).partition(" ")
    try:
        return min(max(float(fraction), 0.0), 1.0), text
    except ValueError:
        return None


def relay(fraction: float, text: str) -> None:
    """The bar of a build inside a user namespace: a marked line for the parent to draw."""
    print(f"{BAR_MARK}{fraction:.3f} {text}", flush=True)


class TerminalBar:
    """``[#########-----------]  42%  Unpacking qemu-system-x86`` redrawn in place on a terminal;
    nothing at all when the output is a file or a pipe (a log keeps the step lines only)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.shown = False

    def draw(self, fraction: float, text: str) -> None:
        if not self.stream.isatty():
            return
        filled = round(fraction * WIDTH)
        head = f"[{'#' * filled}{'-' * (WIDTH - filled)}] {fraction:4.0%}  "
        room = max(shutil.get_terminal_size().columns - len(head) - 1, 0)
        self.stream.write("\r\033[K" + head + text[:room])
        self.stream.flush()
        self.shown = True

    def say(self, line: str) -> None:
        """A line of progress text, in place of the bar."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.shown = False
        print(line, file=self.stream, flush=True)
