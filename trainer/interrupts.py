"""Ctrl-C that is never lost. Python turns SIGINT into a KeyboardInterrupt wherever the main thread
is; when that is a finalizer or a weakref callback (a thread pool's bookkeeping runs them between
any two lines), the exception is printed as "Exception ignored in ..." and dropped, and a loop that
runs until Ctrl-C runs on. ``ctrl_c_noted`` also notes the key press in an event the loop looks at."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def ctrl_c_noted() -> Iterator[threading.Event]:
    """While inside, Ctrl-C raises KeyboardInterrupt as usual and sets the event yielded. Where SIGINT
    is ignored (started with ``nohup`` or ``&`` by a non-interactive shell) it stays ignored."""
    pressed = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        yield pressed
        return

    def note(_signum: int, _frame: FrameType | None) -> None:
        pressed.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)
