"""The sandbox VM: ready from the saved state and from a cold boot, reset, the sizes.

Bars (sandbox issue 14): `lpic3 sandbox up` to ready <= 3 s from the saved state, `sandbox
reset` to a clean ready machine <= 3 s, on the 2-core CI machine under TCG; the cold boot (under
20 s with TCG) and the saved state's size beside them. "Ready" is what `lpic3 sandbox up` waits
for: a root shell answering on the serial console and SSH answering with lpic3's key. Each figure
is wall time of the whole call, and the machine's load is printed with it: under TCG the guest
shares the host's cores with everything else, so a busy machine is a slow sandbox.

Uses the image in LPIC3_HOME (builds it first when there is none: root, about 3 minutes).

    LPIC3_HOME=/var/tmp/lpic3-bench python bench/sandbox_boot.py [--runs N] [--accel tcg|kvm]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.sandbox.build import build
from trainer.sandbox.files import SandboxFiles
from trainer.sandbox.vm import down, reset, up


def timed(runs: int, action: Callable[[], object], before: Callable[[], object] = lambda: None) -> list[float]:
    seconds = []
    for _ in range(runs):
        before()
        start = time.monotonic()
        action()
        seconds.append(time.monotonic() - start)
    return seconds


def line(what: str, seconds: list[float]) -> str:
    return (
        f"{what}: median {statistics.median(seconds):.1f} s, min {min(seconds):.1f} s, max {max(seconds):.1f} s "
        f"({len(seconds)} runs, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", choices=("tcg", "kvm"), help="default: what `lpic3 sandbox up` chooses")
    args = parser.parse_args()
    files = SandboxFiles.default()
    quiet = lambda _: None  # noqa: E731
    if not files.built:
        print(f"building the image once: {build(files, print):.0f} s")
    down(files, quiet)
    up(files, print, accel=args.accel)  # makes the saved state when there is none (said)
    stop = lambda: down(files, quiet)  # noqa: E731
    restored = timed(args.runs, lambda: up(files, quiet, accel=args.accel), stop)
    resets = timed(args.runs, lambda: reset(files, quiet))
    cold = timed(args.runs, lambda: up(files, quiet, accel=args.accel, saved=False), stop)
    accel = files.state().get("accel")
    down(files, quiet)
    mib = {p.name: p.stat().st_size / 1024**2 for p in (files.image, files.kernel, files.initrd, files.ready_state)}
    print("sizes: " + ", ".join(f"{name} {size:.0f} MiB" for name, size in mib.items()))
    print(line(f"up from the saved state (-accel {accel})", restored))
    print(line("reset (stop through QMP, fresh overlay, restore)", resets))
    print(line(f"up by a cold boot (-accel {accel})", cold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
