"""How far a long build step has come, read from what its command prints, and a bar that shows it.

The build's two long steps are apt at work: mmdebstrap (which prints its phases) and apt-get
install in the chroot (which reports per cent done through ``APT::Status-Fd``). A meter turns one
line of their output into the fraction done, or None. The bar is drawn on a terminal only, on one
line that the next line of progress text replaces; a rootless build, whose output reaches the
user through a pipe, sends its fractions as marked lines (``BAR_MARK``) that the parent draws.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
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
        self._lock = threading.Lock()  # a Ticker's thread draws while the main thread says

    def draw(self, fraction: float, text: str) -> None:
        if not self.stream.isatty():
            return
        filled = round(fraction * WIDTH)
        head = f"[{'#' * filled}{'-' * (WIDTH - filled)}] {fraction:4.0%}  "
        room = max(shutil.get_terminal_size().columns - len(head) - 1, 0)
        with self._lock:
            self.stream.write("\r\033[K" + head + text[:room])
            self.stream.flush()
            self.shown = True

    def say(self, line: str) -> None:
        """A line of progress text, in place of the bar."""
        with self._lock:
            if self.shown:
                self.stream.write("\r\033[K")
                self.shown = False
            print(line, file=self.stream, flush=True)


class Ticker:
    """A bar for the waits of ``sandbox up`` (a boot, a save, a restore), whose length nothing
    announces: a thread redraws it every ``TICK`` seconds from the time spent in the current phase
    against what the same phase took last time on this machine (kept in ``history``, a JSON file),
    or a first guess. It never reaches 100 % by itself: a phase slower than last time sits at 99 %
    with its seconds still counting, so the bar never claims more than is known."""

    TICK = 0.25

    def __init__(self, bar: Bar | None, history: Path) -> None:
        self.bar, self.history = bar, history
        self._phase: tuple[str, str, float, float] | None = None  # key, label ({} for the seconds), expected, started
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Ticker:
        if self.bar is not None:
            self._thread = threading.Thread(target=self._run, name="lpic3-ticker", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self._finish()
        else:
            self.abandon()
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def phase(self, key: str, label: str, guess: float) -> None:
        """A new phase begins (the one before it is over: its time is kept for next time)."""
        self._finish()
        last = self._read().get(key)
        known = float(last) if isinstance(last, int | float) and last > 0 else None
        expected = guess if known is None else known
        label += f": {{}} s ({'about' if known is None else 'last time'} {_seconds(expected)} s)"
        with self._lock:
            self._phase = (key, label, expected, time.monotonic())

    def abandon(self) -> None:
        """The phase failed: its time says nothing about how long it takes."""
        with self._lock:
            self._phase = None

    def _finish(self) -> None:
        with self._lock:
            phase, self._phase = self._phase, None
        if phase is not None:
            key, _, _, started = phase
            self._write(key, time.monotonic() - started)

    def _run(self) -> None:
        while not self._done.wait(self.TICK):
            with self._lock:
                if self._phase is None or self.bar is None:
                    continue
                _, label, expected, started = self._phase
                spent = time.monotonic() - started
                self.bar(min(spent / expected, 0.99), label.format(_seconds(spent)))

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.history.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, key: str, seconds: float) -> None:
        """Kept for next time; a history that cannot be written only costs the next bar its guess."""
        data = self._read() | {key: round(seconds, 1)}
        tmp = self.history.with_suffix(".tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(data))
            tmp.replace(self.history)


def _seconds(seconds: float) -> str:
    return f"{seconds:.0f}" if seconds >= 10 else f"{seconds:.1f}"
