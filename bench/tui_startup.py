"""Time from launch to an interactive home screen, against a minimal Textual app in the same run.

The bar (study engine issue): lpic3 within 1.5 times the minimal app. Each run is a fresh
interpreter (imports included) that exits as soon as its first screen is ready to take keys.

    python bench/tui_startup.py [--runs N]
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

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

    def on_ready(self):
        self.call_after_refresh(self.exit)

Minimal().run(headless=True, size=(120, 40))
"""

LPIC3 = """
from trainer.curriculum.cache import load_cached
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.home import HomeScreen

class Timed(TrainerApp):
    def on_ready(self):
        def wait_for_home():
            if isinstance(self.screen, HomeScreen) and self.screen.query("#objectives"):
                self.call_after_refresh(self.exit)
            else:
                self.call_after_refresh(wait_for_home)
        wait_for_home()

store = Store.open()
Timed(load_cached(), store).run(headless=True, size=(120, 40))
store.close()
"""


def launch(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env, timeout=60)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lpic3-bench-home-") as home:
        env = {**os.environ, "LPIC3_HOME": home}
        launch(MINIMAL, env), launch(LPIC3, env)  # warm the disk cache and the progress file
        minimal, lpic3 = [], []
        for _ in range(args.runs):  # interleaved, so a busy moment of the machine hits both alike
            minimal.append(launch(MINIMAL, env))
            lpic3.append(launch(LPIC3, env))
    m, lp = statistics.median(minimal), statistics.median(lpic3)
    print(f"minimal Textual app: median {m:6.0f} ms (min {min(minimal):.0f}) over {args.runs} runs")
    print(f"lpic3 home screen:   median {lp:6.0f} ms (min {min(lpic3):.0f}) over {args.runs} runs")
    print(f"ratio of medians {lp / m:.2f}, of minimums {min(lpic3) / min(minimal):.2f} (bar: 1.5)")


if __name__ == "__main__":
    main()
