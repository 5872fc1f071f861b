"""The bar of ``sandbox up``: it moves with the clock against what each phase took last time here,
never claims to be done before it is, and keeps a phase's time only when the phase finished."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest

from trainer.sandbox.progress import TerminalBar, Ticker


class Recorder:
    def __init__(self) -> None:
        self.drawn: list[tuple[float, str]] = []

    def __call__(self, fraction: float, text: str) -> None:
        self.drawn.append((fraction, text))


def test_a_phase_moves_the_bar_by_time_never_to_the_end_and_is_kept_for_next_time(tmp_path: Path) -> None:
    history, bar = tmp_path / "timings.json", Recorder()
    with Ticker(bar, history) as ticker:
        ticker.phase("cold-tcg-console", "booting", 0.5)
        time.sleep(1.2)  # longer than the guess
    fractions = [f for f, _ in bar.drawn]
    assert len(fractions) >= 3 and fractions == sorted(fractions)
    assert fractions[0] < 0.9 and max(fractions) == 0.99  # slower than expected: 99 %, not done
    assert all(re.fullmatch(r"booting: \d\.\d s \(about 0\.5 s\)", text) for _, text in bar.drawn), bar.drawn
    took = json.loads(history.read_text())["cold-tcg-console"]
    assert 1.1 <= took < 3
    later = Recorder()
    with Ticker(later, history) as ticker:
        ticker.phase("cold-tcg-console", "booting", 60)
        time.sleep(0.6)
    assert later.drawn and later.drawn[-1][1].endswith(f"(last time {took:.1f} s)")  # against last time


def test_a_failed_phase_is_not_kept_and_a_history_that_cannot_be_written_costs_nothing(tmp_path: Path) -> None:
    history = tmp_path / "timings.json"
    history.write_text(json.dumps({"restored-tcg": 2.5}))
    with pytest.raises(RuntimeError), Ticker(Recorder(), history) as ticker:
        ticker.phase("restored-tcg", "restoring", 3)
        raise RuntimeError("QEMU stopped")
    assert json.loads(history.read_text()) == {"restored-tcg": 2.5}
    with Ticker(None, tmp_path / "no-such-folder" / "timings.json") as ticker:  # no bar: no thread
        ticker.phase("save-tcg", "saving", 1)
        assert ticker._thread is None
    history.write_text("[not a dict")
    with Ticker(Recorder(), history) as ticker:  # a damaged history: the guess
        ticker.phase("restored-tcg", "restoring", 3)
    assert "restored-tcg" in json.loads(history.read_text())


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_is_drawn_in_place_on_a_terminal_only() -> None:
    log = io.StringIO()
    TerminalBar(log).draw(0.5, "booting")
    assert log.getvalue() == ""
    screen = Terminal()
    terminal = TerminalBar(screen)
    terminal.draw(0.5, "booting: 3 s (last time 6 s)")
    terminal.say("serial console answers after 6.1 s")
    assert screen.getvalue() == (
        "\r\033[K[############------------]  50%  booting: 3 s (last time 6 s)"
        "\r\033[Kserial console answers after 6.1 s\n"
    )
