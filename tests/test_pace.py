"""Every wait grows with what slows it: one set of figures (checkers.pace) for the sandbox's waits,
a lab's command budgets and the KVM probe's boot, so a loaded machine gets longer waits everywhere
instead of a wrong verdict."""

from __future__ import annotations

import os

import pytest

from checkers import pace
from checkers.targets import parse_target
from trainer import labservice
from trainer.sandbox import vm


@pytest.mark.parametrize(("load", "factor"), [(0.3, 1.0), (4.0, 2.0), (7.0, 3.5), (40.0, pace.MAX_LOAD_FACTOR)])
def test_the_load_factor_is_the_load_per_core_between_1_and_its_cap(
    monkeypatch: pytest.MonkeyPatch, load: float, factor: float
) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (load, 0.0, 0.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert pace.load_factor() == pytest.approx(factor)


def test_a_labs_command_budgets_grow_with_the_load_like_the_sandboxs_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab service's time scale and the sandbox's budgets are one figure: both triple at load 6 on 2 cores."""
    monkeypatch.delenv("LPIC3_TIME_SCALE", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.0, 0.0))
    idle = labservice.time_scale(parse_target("local")), vm.budget(10)
    monkeypatch.setattr(os, "getloadavg", lambda: (6.0, 0.0, 0.0))
    busy = labservice.time_scale(parse_target("local")), vm.budget(10)
    assert idle == (1.0, 10.0) and busy == (pytest.approx(3.0), pytest.approx(30.0))
    monkeypatch.setenv("LPIC3_TIME_SCALE", "2")
    assert labservice.time_scale(parse_target("local")) == pytest.approx(6.0)


def test_a_guest_under_tcg_is_given_four_times_longer() -> None:
    assert pace.slowdown("tcg") == 4 * pace.slowdown("kvm") and pace.slowdown("unknown") == pace.slowdown("tcg")
