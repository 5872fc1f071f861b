"""Grading rules, case by case, including fill-in normalisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.curriculum.model import FillMatch, Location, Question
from trainer.study.grading import grade


def question(
    kind: str = "fill", accept: tuple[str, ...] = (), answer: tuple[int, ...] = (), match: FillMatch | None = None
) -> Question:
    return Question(
        "q",
        kind,
        "351.5",
        (),
        1,
        "stem",
        "why",
        Location(Path("x"), 1),
        ("a", "b", "c", "d") if kind != "fill" else (),
        answer,
        accept,
        match or FillMatch(),
    )


def test_single_and_multi() -> None:
    single = question("single", answer=(2,))
    assert grade(single, (2,)) and not grade(single, (1,)) and not grade(single, (2, 1)) and not grade(single, None)
    multi = question("multi", answer=(0, 3))
    assert grade(multi, (3, 0))
    assert not grade(multi, (0,)) and not grade(multi, (0, 3, 1)) and not grade(multi, (0, 0, 3))
    assert not grade(multi, "0,3")


@pytest.mark.parametrize(
    ("typed", "match", "right"),
    [
        ("qemu-img info", FillMatch(), True),
        ("  qemu-img    info  ", FillMatch(), True),
        ("QEMU-IMG info", FillMatch(), False),
        ("QEMU-IMG INFO", FillMatch(ignore_case=True), True),
        ("/usr/bin/qemu-img info", FillMatch(command=True), True),
        ("/usr/bin/qemu-img info", FillMatch(), False),
        ("qemu-img /usr/bin/info", FillMatch(command=True), False),
        ("qemu-img", FillMatch(command=True), False),
        ("", FillMatch(command=True), False),
    ],
)
def test_fill_normalisation(typed: str, match: FillMatch, right: bool) -> None:
    assert grade(question(accept=("qemu-img info",), match=match), typed) is right


def test_fill_paths_are_not_treated_as_commands() -> None:
    q = question(accept=("/etc/docker/daemon.json",), match=FillMatch(command=True))
    assert grade(q, "/etc/docker/daemon.json")
    assert not grade(q, "daemon.json")


def test_unordered_options_keep_values_with_their_option() -> None:
    match = FillMatch(command=True, unordered_options=True)
    q = question(accept=("qemu-img convert -f raw -O qcow2 in.raw out.qcow2",), match=match)
    assert grade(q, "qemu-img convert -O qcow2 -f raw in.raw out.qcow2")
    assert grade(q, "qemu-img convert in.raw out.qcow2 -O qcow2 -f raw")
    assert not grade(q, "qemu-img convert -O raw -f qcow2 in.raw out.qcow2")
    assert not grade(q, "qemu-img convert -f raw -O qcow2 out.qcow2 in.raw")
    assert not grade(q, "qemu-img create -f raw -O qcow2 in.raw out.qcow2")
    ordered = question(accept=("qemu-img convert -f raw -O qcow2 in.raw out.qcow2",), match=FillMatch())
    assert not grade(ordered, "qemu-img convert -O qcow2 -f raw in.raw out.qcow2")


def test_equivalent_spellings() -> None:
    match = FillMatch(command=True, unordered_options=True, equivalent=(("-a", "--all"),))
    q = question(accept=("virsh list --all",), match=match)
    assert grade(q, "virsh list -a") and grade(q, "virsh list --all")
    assert not grade(q, "virsh list --inactive")
