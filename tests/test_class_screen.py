"""The TUI's Class screen with real student machines: opened from the home screen, the grid fills as
machines answer, the detail pane shows expected vs seen, r resets one student and R all."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from tests.lab_fixtures import choose, until
from tests.student_machines import Classroom, lab_tree
from tests.study_fixtures import store  # noqa: F401 (a fixture)
from trainer.classroom.access import ClassAccess
from trainer.classroom.classlab import SOLVE
from trainer.classroom.inventory import read_inventory
from trainer.curriculum.loader import load_curriculum
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.classroom import ClassScreen

LAB = "351.1-cpu-virt-flags"
pytestmark = pytest.mark.xdist_group("class-machines")


def cells(screen: ClassScreen, name: str) -> list[str]:
    grid: DataTable[str] = screen.query_one("#class-grid", DataTable)
    return [str(cell) for cell in grid.get_row(name)]


def idle(screen: ClassScreen) -> bool:
    return screen.job is None and screen.lab is not None


async def test_the_class_grid_checks_resets_and_explains(
    student_machines: Classroom,
    tmp_path: Path,
    store: Store,  # noqa: F811
) -> None:
    machines = student_machines.machines[14:17]
    names = [m.name for m in machines]
    inventory = student_machines.inventory(tmp_path / "class.ini", machines)
    app = TrainerApp(load_curriculum(lab_tree(tmp_path / "tree", "351.1/cpu-virt-flags.yaml")), store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("c")  # the home screen's key
            await until(pilot, lambda: isinstance(app.screen, ClassScreen))
            screen = app.screen
            assert isinstance(screen, ClassScreen)
            screen.query_one("#class-inventory", Input).value = str(inventory)
            screen.query_one("#class-lab", Select).value = LAB
            await pilot.click("#class-open")
            await until(pilot, lambda: idle(screen) and len(screen.rows) == 3, seconds=60)
            assert all(cells(screen, n)[-1].startswith("not started") for n in names)

            await pilot.press("R")
            await choose(pilot, "yes")
            await until(pilot, lambda: idle(screen) and all(r.status == "started" for r in screen.rows.values()), 90)
            await pilot.press("c")
            await until(pilot, lambda: idle(screen) and all(r.status == "checked" for r in screen.rows.values()), 60)
            assert cells(screen, names[1]) == [names[1], "x", "x", "x", "0/3"]

            assert screen.lab is not None
            assert [r.status for r in screen.lab.run(SOLVE, only=[names[1]])] == ["solved"]
            await pilot.press("c")
            await until(pilot, lambda: idle(screen) and screen.rows[names[1]].passed, 60)
            assert cells(screen, names[1])[:4] == [names[1], "+", "+", "+"]
            assert cells(screen, names[1])[4].startswith("pass 3/3, first passed")
            assert cells(screen, names[0])[1:4] == ["x", "x", "x"]

            screen.query_one("#class-grid", DataTable).move_cursor(row=1)
            await pilot.pause(0.1)
            detail = str(screen.query_one("#class-detail", Static).render())
            assert f"{names[1]} ({machines[1].address}): pass 3/3" in detail
            assert "PASS answer-format" in detail and "expected" in detail and "seen" in detail

            await pilot.press("r")  # the highlighted student starts over: only that one
            await choose(pilot, "yes")
            await until(pilot, lambda: idle(screen) and screen.rows[names[1]].status == "started", 60)
            assert screen.rows[names[0]].status == "checked"
            await pilot.press("c")
            await until(pilot, lambda: idle(screen) and screen.rows[names[1]].status == "checked", 60)
            assert not screen.rows[names[1]].passed
    finally:
        access = ClassAccess()
        for student in read_inventory(inventory):
            access.target(student).disconnect()
