"""The lpic3 Textual application: loads the curriculum once and opens the home screen."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.tui.screens.home import HomeScreen


class TrainerApp(App[None]):
    """The trainer. Content problems do not stop it: broken items are left out and counted on Home."""

    TITLE = "lpic3"
    SUB_TITLE = "LPIC-3 305-300 trainer"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit"), Binding("t", "toggle_theme", "Theme")]

    def __init__(self, curriculum: Curriculum) -> None:
        super().__init__()
        self.curriculum = curriculum

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.curriculum))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"


def run_app(root: Path | None = None) -> int:
    TrainerApp(load_curriculum(root)).run()
    return 0
