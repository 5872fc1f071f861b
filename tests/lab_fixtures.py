"""A test-only lab whose check takes as long as a test needs (a real ``sleep`` on the target), whose
setup leaves a line in a log per run, and whose task names a parameter."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from checkers.lablib import record_dir
from tests.conftest import Tree
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Exercise
from trainer.study.store import Store

LAB_ID = "351.5-slow-check"

_LAB = """
id: 351.5-slow-check
objective: "351.5"
title: A file, checked slowly
terms: [qemu-img]
difficulty: 1
requires: []
params:
  name: {choices: [alpha, beta]}
task: Create a file named {{name}} in {{workdir}}.
setup: echo set-up >> @LOG@; sleep @SETUP@
checks:
  - id: made
    probe: command.status
    args: {command: "sleep @SLEEP@; test -e {{workdir}}/{{name}}"}
    hint: Use touch on {{workdir}}/{{name}}.
solution: touch {{workdir}}/{{name}}
reset: "true"
hints:
  - The file goes in {{workdir}}.
wrong_answers:
  - name: nothing done
    script: "true"
    fails: [made]
"""


def slow_lab(tree: Tree, log: Path, sleep: float = 5, setup: float = 0) -> Exercise:
    """The lab, written into ``tree``: its check sleeps ``sleep`` s, its setup ``setup`` s and logs to ``log``."""
    text = _LAB.replace("@LOG@", str(log)).replace("@SLEEP@", f"{sleep:g}").replace("@SETUP@", f"{setup:g}")
    tree.write("exercises/351.5/slow-check.yaml", text)
    (exercise,) = load_curriculum(tree.root).exercises
    return exercise


@pytest.fixture
def remove_workdirs() -> Iterator[None]:
    """After the test, the working folder and the records of every attempt it recorded are gone (a
    lab's reset would remove them; a test that ends without one must not leave them behind)."""
    yield
    store = Store.open()
    try:
        for (params,) in store.db.execute("SELECT params FROM lab_attempts"):
            workdir = json.loads(params).get("workdir")
            if workdir is None:  # an attempt as an older lpic3 stored it: it made no folder
                continue
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(record_dir(workdir), ignore_errors=True)
    finally:
        store.close()


async def until(pilot: Pilot[None], ready: Callable[[], bool], seconds: float = 30) -> None:
    """Let the app run until ``ready()`` (a worker's result shown, a dialog up), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, "the screen never got there"
        await pilot.pause(0.05)


async def choose(pilot: Pilot[None], answer: str) -> None:
    """Answer the dialog that is about to open by clicking ``answer`` once its button is laid out
    (a click before layout hits nothing on a busy machine), and wait until the dialog has closed."""
    from trainer.tui.screens.lab import Choose

    app = pilot.app

    def laid_out() -> bool:
        if not isinstance(app.screen, Choose):
            return False
        buttons = app.screen.query(f"#{answer}")
        return bool(buttons) and buttons.first().region.area > 0

    await until(pilot, laid_out)
    await pilot.click(f"#{answer}")
    await until(pilot, lambda: not isinstance(app.screen, Choose))
