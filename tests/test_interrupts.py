"""Ctrl-C during a finalizer or weakref callback: Python drops the KeyboardInterrupt, the note stays."""

from __future__ import annotations

import os
import signal
import sys
import time
import weakref
from collections.abc import Iterator

import pytest

from trainer.interrupts import ctrl_c_noted


class _Thing:
    pass


def _ctrl_c_inside_a_weakref_callback() -> None:
    """SIGINT arrives while a weakref callback runs, as it did in ``class lab check --watch``."""

    def callback(_ref: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)  # the handler runs here: its KeyboardInterrupt is "ignored" by Python

    thing = _Thing()
    ref = weakref.ref(thing, callback)
    del thing
    assert ref() is None


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C as a terminal's user has it. A test run started in the background by a non-interactive
    shell inherits SIGINT ignored (as ctrl_c_noted then leaves it: the case tested last)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_a_ctrl_c_python_drops_is_still_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    dropped: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: dropped.append(unraisable.exc_type))
    with ctrl_c_noted() as pressed:
        _ctrl_c_inside_a_weakref_callback()
        assert dropped == [KeyboardInterrupt]  # Python dropped it: no exception reached here
        assert pressed.is_set()


@pytest.mark.usefixtures("ctrl_c_raises")
def test_a_ctrl_c_raises_as_usual_and_the_old_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), ctrl_c_noted() as pressed:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    assert pressed.is_set() and signal.getsignal(signal.SIGINT) is before


def test_an_ignored_ctrl_c_stays_ignored() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with ctrl_c_noted() as pressed:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
        assert not pressed.is_set() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
