"""The sandbox VM: boot to ready, reset, the image's size.

Bars (sandbox issue): boot to ready under 20 s with TCG on the CI machine (under 10 s with KVM
where it works); reset under 5 s plus the boot; the image as small as the tools allow. "Ready" is
what `lpic3 sandbox up` waits for: a root shell answering on the serial console and SSH answering
with lpic3's key. The reset is timed in two parts: stopping QEMU and dropping the overlay (the
part the bar is about), then the boot.

Uses the image in LPIC3_HOME (builds it first when there is none: root, about 3 minutes).

    LPIC3_HOME=/var/tmp/lpic3-bench python bench/sandbox_boot.py [--runs N] [--accel tcg|kvm]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.sandbox.build import build
from trainer.sandbox.files import SandboxFiles
from trainer.sandbox.vm import down, up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accel", choices=("tcg", "kvm"), help="default: what `lpic3 sandbox up` chooses")
    args = parser.parse_args()
    files = SandboxFiles.default()
    quiet = lambda _: None  # noqa: E731
    if not files.built:
        print(f"building the image once: {build(files, print):.0f} s")
    up(files, quiet, accel=args.accel)
    boots, drops = [], []
    for _ in range(args.runs):
        start = time.monotonic()
        down(files, quiet)
        files.overlay.unlink(missing_ok=True)  # what `lpic3 sandbox reset` does before booting
        drops.append(time.monotonic() - start)
        boots.append(up(files, quiet, accel=args.accel))
    accel = files.state().get("accel")
    down(files, quiet)
    mib = {p.name: p.stat().st_size / 1024**2 for p in (files.image, files.kernel, files.initrd)}
    print("sizes: " + ", ".join(f"{name} {size:.0f} MiB" for name, size in mib.items()))
    print(
        f"boot to ready (-accel {accel}), {args.runs} runs: median {statistics.median(boots):.1f} s, "
        f"min {min(boots):.1f} s, max {max(boots):.1f} s"
    )
    print(f"reset before the boot (stop QEMU, drop the overlay): median {statistics.median(drops):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
