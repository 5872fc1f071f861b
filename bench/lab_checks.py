"""A lab with 20 checks on the local target: the session's cost over the commands' own run time.

The bar (labs issue): the whole check within 1.2 times the sum of the commands' own run times plus
50 ms. "Own run time" is measured inside the target shell ($EPOCHREALTIME around each command), so
it excludes all framing and pexpect work. The checks run twice: one round trip per command, and as
a lab check runs them, every first command asked at once (``trainer.labs.runner.ask_ahead``). For
comparison the same commands are run the obvious way, one ``bash -c`` subprocess each.

    python bench/lab_checks.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkers.probes import run_probe
from checkers.session import ShellSession, local_argv
from checkers.shell import CommandResult
from trainer.curriculum.model import Check, Location
from trainer.labs.runner import ask_ahead, run_check


class Recorder:
    """A Shell that remembers every command the probes send through it."""

    def __init__(self, session: ShellSession) -> None:
        self.session = session
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 10.0, merge: bool = True) -> CommandResult:
        self.commands.append(command)
        return self.session.run(command, timeout, merge)

    def run_script(self, script: str, timeout: float = 300.0) -> CommandResult:
        return self.session.run_script(script, timeout)


def checks(folder: Path) -> list[tuple[str, dict[str, object]]]:
    image, config = folder / "disk.qcow2", folder / "app.yaml"
    made: list[tuple[str, dict[str, object]]] = []
    for n in range(6):
        made.append(("file.exists", {"path": str(folder / f"f{n}")}))
    made += [
        ("file.mode", {"path": str(folder / "f0"), "mode": "640"}),
        ("file.contains", {"path": str(config), "pattern": "^name: web"}),
        ("file.key", {"path": str(config), "key": "limits.memory", "equals": "512"}),
        ("image.info", {"path": str(image), "key": "format", "equals": "qcow2"}),
        ("image.info", {"path": str(image), "key": "virtual-size", "equals": "16777216"}),
        ("image.snapshot", {"path": str(image), "name": "clean"}),
        ("command.status", {"command": f"test -s {config}"}),
        ("command.output", {"command": "uname -s", "pattern": "^Linux$"}),
        ("command.output", {"command": f"ls {folder}", "pattern": "^f5$"}),
        ("command.json", {"command": 'printf \'{"a": {"b": 1}}\'', "key": "a.b", "equals": "1"}),
        ("command.status", {"command": "id -u"}),
        ("command.output", {"command": "cat /proc/loadavg", "pattern": r"^\d"}),
        ("file.exists", {"path": str(folder / "absent"), "present": False}),
        ("file.contains", {"path": str(config), "pattern": "^limits:"}),
    ]
    return made


def prepare(folder: Path) -> None:
    for n in range(6):
        (folder / f"f{n}").write_text("x")
    (folder / "f0").chmod(0o640)
    (folder / "app.yaml").write_text("name: web\nlimits:\n  memory: 512\n")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(folder / "disk.qcow2"), "16M"], check=True)
    subprocess.run(["qemu-img", "snapshot", "-c", "clean", str(folder / "disk.qcow2")], check=True)


def own_time(session: ShellSession, command: str) -> float:
    out = session.run(f's=$EPOCHREALTIME; ( eval {repr_shell(command)} ) >/dev/null 2>&1; echo "$s $EPOCHREALTIME"')
    start, end = map(float, out.output.split())
    return end - start


def repr_shell(text: str) -> str:
    import shlex

    return shlex.quote(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lpic3-bench-lab-") as tmp, ShellSession(local_argv(), "local") as session:
        folder = Path(tmp)
        prepare(folder)
        plan = checks(folder)
        recorder = Recorder(session)
        verdicts = [run_probe(recorder, name, a) for name, a in plan]
        assert all(v.passed for v in verdicts), [v for v in verdicts if not v.passed]
        commands = recorder.commands
        as_checks = [Check(f"c{n}", name, a, "", Location(folder / "lab.yaml", n)) for n, (name, a) in enumerate(plan)]
        totals, aheads, owns, subs = [], [], [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            for name, a in plan:
                run_probe(session, name, a)
            totals.append(time.perf_counter() - start)
            start = time.perf_counter()  # as a lab check runs them: first commands asked at once
            for shell, check in zip(ask_ahead(session, as_checks, {}), as_checks, strict=True):
                assert run_check(shell, check, {}).passed
            aheads.append(time.perf_counter() - start)
            owns.append(sum(own_time(session, c) for c in commands))
            start = time.perf_counter()
            for c in commands:
                subprocess.run(["/bin/bash", "-c", c], capture_output=True, check=False)
            subs.append(time.perf_counter() - start)
    total, ahead, own, sub = (statistics.median(x) * 1000 for x in (totals, aheads, owns, subs))
    load = os.getloadavg()[0]
    print(f"{len(plan)} checks, {len(commands)} shell commands, median of {args.runs} runs, load {load:.1f}")
    print(f"session, one round trip each: {total:7.1f} ms")
    print(f"session, asked ahead (labs):  {ahead:7.1f} ms")
    print(f"commands' own run time:      {own:7.1f} ms -> bar 1.2 x own + 50 ms = {1.2 * own + 50:.1f} ms")
    print(f"one subprocess per command:  {sub:7.1f} ms")
    print(f"{'within' if ahead <= 1.2 * own + 50 else 'OVER'} the bar")


if __name__ == "__main__":
    main()
