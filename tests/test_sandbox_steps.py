"""The build's steps as commands: a step that outlives its time is stopped with everything it
started (apt and dpkg run under unshare and chroot), and says so in one line; a failing step
says its first error (the cause) and its last (the result)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from trainer.sandbox.build import BuildError, Steps


def test_a_step_that_outlives_its_time_is_stopped_whole(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    steps = Steps(lambda _: None, explain=False, mirror="http://mirror.example")
    start = time.monotonic()
    with pytest.raises(BuildError, match=r"^slow step: no result after 1 s \(is http://mirror.example answering\?\)$"):
        steps.run(["sh", "-c", f"sleep 300 & echo $! > {pids}; sleep 300"], "slow step", timeout=1)
    assert time.monotonic() - start < 10  # not held by the grandchild's copy of the output pipe
    grandchild = Path(f"/proc/{int(pids.read_text())}/stat")
    deadline = time.monotonic() + 5
    while grandchild.exists() and grandchild.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the step's grandchild still runs"
        time.sleep(0.05)  # SIGKILL is delivered at once, the exit takes a moment


def test_a_failing_step_names_its_first_and_last_error() -> None:
    lines: list[str] = []
    steps = Steps(lines.append, explain=True, mirror="")
    script = "echo 'E: the cause'; echo noise; echo 'E: the result' >&2; exit 100"
    with pytest.raises(BuildError, match=r"^failing step failed: E: the cause \| E: the result$"):
        steps.run(["sh", "-c", script], "failing step")
    assert lines[0] == "[1/7] failing step" and lines[1].startswith("  $ sh -c ")
