"""The lpic3 Textual application: the curriculum and the progress store, and the screens on top."""

from __future__ import annotations

import random
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import WorkerFailed

from trainer.curriculum.cache import load_cached
from trainer.curriculum.model import Curriculum
from trainer.paths import user_data_dir
from trainer.study.instance import only_instance
from trainer.study.store import Store
from trainer.tui.commands import TrainerCommandPalette, TrainerCommands
from trainer.tui.screens.home import HomeScreen


class TrainerApp(App[None]):
    """The trainer. Content problems do not stop it: broken items are left out and counted on Home.

    Screens and the study engine are imported when first used, so start-up stays fast.
    """

    TITLE = "lpic3"
    SUB_TITLE = "LPIC-3 305-300 trainer"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS: ClassVar = App.COMMANDS | {TrainerCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("d", "toggle_theme", "Dark/light"),
    ]

    def __init__(self, curriculum: Curriculum, store: Store, seed: int | None = None) -> None:
        """``seed`` fixes the exam drawn and the practice order (tests, screenshots); None draws anew."""
        super().__init__()
        self.curriculum, self.store, self.seed = curriculum, store, seed
        self.failure: BaseException | None = None  # what ended the app, if not the learner

    def _handle_exception(self, error: Exception) -> None:
        """An error no screen handled ends the app, as in Textual, but without Textual's traceback on
        the terminal: ``run_app`` raises it again after the terminal is restored, for ``cli.main`` to
        report in one line (a StoreError such as a full disk as itself, anything else with a crash
        note) and a non-zero exit status."""
        if self.failure is None:
            self.failure = error.error if isinstance(error, WorkerFailed) else error
        super()._handle_exception(error)
        self._exit_renderables.clear()

    def get_default_screen(self) -> HomeScreen:
        """Home is the first screen itself (not pushed over an empty one): one screen less to lay out."""
        return HomeScreen(self.curriculum, self.store)

    def on_mount(self) -> None:
        if self.store.notice:
            self.notify(self.store.notice, severity="warning", timeout=20, markup=False)  # a path may hold [ ]

    def action_command_palette(self) -> None:
        """ctrl+p: Textual's palette, with page keys that cannot crash it (TrainerCommandPalette)."""
        if self.use_command_palette and not isinstance(self.screen, TrainerCommandPalette):
            self.push_screen(TrainerCommandPalette(id="--command-palette"))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    def action_help(self) -> None:
        from trainer.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def open_lesson(self, oid: str) -> None:
        from trainer.tui.screens.lesson import LessonScreen

        lesson = self.curriculum.lessons.get(oid)
        if lesson is None:
            self.notify(f"No lesson for {oid} yet.", severity="warning")
            return
        self.push_screen(LessonScreen(lesson, self.store, self.store.lesson_positions().get(oid, 0.0)))

    def action_practice(self, scope: str) -> None:
        from trainer.study.practice import practice_order, select
        from trainer.tui.screens.practice import PracticeScreen

        questions = practice_order(select(self.curriculum, scope), self.store.history(), random.Random(self.seed))
        if not questions:
            self.notify(f"No questions for {scope} yet.", severity="warning")
            return
        self.push_screen(PracticeScreen(f"practice {scope}", questions, self.store, seed=self.seed))

    def action_review(self) -> None:
        """Questions due come first; passed labs due again are listed, to be done anew."""
        from trainer.study.review import due_later_today, due_now, labs_due_now
        from trainer.tui.screens.lab import LabListScreen
        from trainer.tui.screens.practice import PracticeScreen

        by_id = {q.id: q for q in self.curriculum.questions}
        due = [by_id[qid] for qid in due_now(self.store) if qid in by_id]
        known = {e.id for e in self.curriculum.exercises}
        labs = [lab for lab in labs_due_now(self.store) if lab in known]
        if due:
            self.push_screen(PracticeScreen("spaced review", due, self.store, mode="review", seed=self.seed))
            if labs:
                self.notify(f"{len(labs)} passed lab(s) are due to be done again too: r again after the questions.")
        elif labs:
            self.push_screen(LabListScreen(self.curriculum, self.store, None, due_only=True))
        else:
            later = due_later_today(self.store)
            soon = f"; {later} more later today" if later else ""
            self.notify(f"Nothing is due for review now{soon}.")

    def open_labs(self, objective: str | None) -> None:
        from trainer.tui.screens.lab import LabListScreen

        if not self.curriculum.exercises:
            self.notify("No labs yet.", severity="warning")
            return
        self.push_screen(LabListScreen(self.curriculum, self.store, objective))

    def action_open_class(self) -> None:
        from trainer.tui.screens.classroom import ClassScreen

        self.push_screen(ClassScreen(self.curriculum))

    def action_history(self) -> None:
        from trainer.tui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen(self.curriculum, self.store))

    def action_exam(self) -> None:
        from trainer.study.exam import PoolTooSmall, draw_exam, rebuild_paper
        from trainer.tui.screens.exam import ExamScreen

        record = self.store.unfinished_exam()
        if record is not None:
            try:
                paper = rebuild_paper(self.curriculum, record.seed, record.minutes, record.paper)
            except KeyError as missing:
                self.notify(
                    f"The unfinished exam uses question {missing} that no longer exists; it was closed.",
                    severity="warning",
                )
                self.store.abandon_exam(record.id)
            else:
                self.push_screen(
                    ExamScreen(
                        self.curriculum,
                        self.store,
                        paper,
                        record.id,
                        record.remaining,
                        record.position,
                    )
                )
                return
        seed = self.seed if self.seed is not None else random.SystemRandom().randrange(1, 10**6)
        try:
            paper = draw_exam(self.curriculum, seed)
        except PoolTooSmall as exc:
            self.notify(f"Cannot draw a full exam yet: {exc}", severity="error", timeout=15)
            return
        exam_id = self.store.start_exam(seed, paper.minutes, [(i.question.id, i.order) for i in paper.items])
        self.push_screen(ExamScreen(self.curriculum, self.store, paper, exam_id, paper.minutes * 60.0))


def run_app(root: Path | None = None) -> int:
    """Run the trainer until the learner quits (exit status 0).

    Raises StoreError when another window has the data folder open or the progress file cannot be
    used, and raises again whatever error ended the app: ``cli.main`` turns each into one line.
    """
    with only_instance(user_data_dir()):
        store = Store.open()
        try:
            app = TrainerApp(load_cached(root), store)
            app.run()
        finally:
            store.close()
    if app.failure is not None:
        raise app.failure
    return 0
