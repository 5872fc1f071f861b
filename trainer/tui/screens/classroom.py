"""The Class screen: an instructor's live grid of a lab on every student machine.

The work is ``trainer.classroom``'s, the same as ``lpic3 class lab``'s: the screen reads an Ansible
inventory, runs the lab on every machine through ``ClassLab`` and shows the rows as machines answer
(students x checks, a mark per check: + pass, x fail, ? not judged), with a detail pane for the
highlighted student (expected vs seen per check, as the lab screen shows one learner's). Keys:
``c`` checks every machine again, ``r`` resets the highlighted student (the lab's reset and a fresh
setup: the student starts over), ``R`` resets every student (each asked once in a dialog).

One job at a time runs in a worker thread: it opens the inventory (ansible-core is slow to
import), then talks to the machines; the gradebook is written by that thread, one machine at a
time, before the row reaches the grid. Escape while a job runs stops it (every machine's operation
ends within a tenth of a second); leaving the screen closes the shells.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Select, Static

from trainer.classroom.classlab import CHECK, CHECKED, START, ClassLab, HostRow
from trainer.classroom.gradebook import Gradebook
from trainer.classroom.inventory import read_inventory
from trainer.curriculum.model import Curriculum, Exercise
from trainer.errors import Lpic3Error
from trainer.tui.screens.lab import Choose

MARKS = {"pass": "+", "fail": "x", "not judged": "?"}
LABELS = {"pass": "PASS", "fail": "FAIL", "not judged": "NOT JUDGED"}


class ClassScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "check", "Check all"),
        Binding("r", "reset_one", "Reset student"),
        Binding("R", "reset_all", "Start/reset all"),
        Binding("escape", "back", "Stop / back"),
    ]

    def __init__(self, curriculum: Curriculum, inventory: str = "", lab_id: str | None = None) -> None:
        super().__init__()
        self.curriculum, self.inventory, self.lab_id = curriculum, inventory, lab_id
        self.lab: ClassLab | None = None
        self.rows: dict[str, HostRow] = {}
        self.job: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="class-form"):
            yield Input(self.inventory, placeholder="inventory file (Ansible INI or YAML)", id="class-inventory")
            options = [(f"{e.id}", e.id) for e in self.curriculum.exercises]
            yield Select(options, value=self.lab_id or Select.NULL, prompt="lab", id="class-lab")
            yield Button("Open", id="class-open", variant="primary")
        yield Static(
            "Name the class's inventory and a lab, then Open: the grid checks every machine.", id="class-status"
        )
        with Horizontal(id="class-body"):
            grid: DataTable[str] = DataTable(id="class-grid", cursor_type="row")
            yield grid
            with Vertical(id="class-side"):
                yield Static("", id="class-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "class"
        if self.inventory and self.lab_id:
            self.open_class()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "class-open":
            self.open_class()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.open_class()

    # -- opening the class ----------------------------------------------------------------------------
    def open_class(self) -> None:
        if self.job is not None:
            self.notify(f"Busy {self.job}; wait or press Escape.", severity="warning")
            return
        path = self.query_one("#class-inventory", Input).value.strip()
        chosen = self.query_one("#class-lab", Select).value
        if not path or not isinstance(chosen, str):
            self.notify("Name an inventory file and choose a lab.", severity="warning")
            return
        exercise = next(e for e in self.curriculum.exercises if e.id == chosen)
        self._close()
        self.job = "opening the class"
        self._status(f"Reading {path} ...")
        self._open(path, exercise)

    @work(thread=True, exclusive=True, group="class")
    def _open(self, path: str, exercise: Exercise) -> None:
        try:
            students = read_inventory(path)
            gradebook = Gradebook.open()
            lab = ClassLab(exercise, students, gradebook)
        except Lpic3Error as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._opened, lab)
        self._run(lab, CHECK)

    def _opened(self, lab: ClassLab) -> None:
        self.lab, self.rows = lab, {}
        grid: DataTable[str] = self.query_one("#class-grid", DataTable)
        grid.clear(columns=True)
        grid.add_column("student", key="student")
        for number, _check in enumerate(lab.exercise.checks, 1):
            grid.add_column(str(number), key=f"check-{number}")
        grid.add_column("result", key="result")
        for student in lab.students:
            grid.add_row(student.name, *("." for _ in lab.exercise.checks), "waiting", key=student.name)
        self._status(f"{lab.exercise.id} on {len(lab.students)} machine(s): checking ...")

    def _failed(self, message: str) -> None:
        self.job = None
        self._status(message)
        self.notify(message, severity="error", timeout=10)

    # -- jobs -----------------------------------------------------------------------------------------
    def action_check(self) -> None:
        self._start_job(CHECK)

    def action_reset_one(self) -> None:
        name = self.highlighted()
        if name is not None:
            self._ask(f"Reset lab on {name}: the lab's reset and a fresh setup (the student starts over)?", [name])

    def action_reset_all(self) -> None:
        if self.lab is not None:
            self._ask(f"Reset the lab on all {len(self.lab.students)} student machines (everyone starts over)?", None)

    def _ask(self, question: str, only: list[str] | None) -> None:
        if self.lab is None or self.job is not None:
            self.notify("Open a class first, and wait for the job in progress." if self.lab is None else "Busy.")
            return

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._start_job(START, only)

        self.app.push_screen(Choose(question), answered)

    def _start_job(self, operation: str, only: list[str] | None = None) -> None:
        if self.lab is None:
            self.notify("Open a class first.", severity="warning")
            return
        if self.job is not None:
            self.notify(f"Busy {self.job}; wait or press Escape.", severity="warning")
            return
        self.job = "checking" if operation == CHECK else "resetting"
        self._status(f"{self.lab.exercise.id}: {self.job} ...")
        self._run_worker(self.lab, operation, only)

    @work(thread=True, exclusive=True, group="class")
    def _run_worker(self, lab: ClassLab, operation: str, only: list[str] | None) -> None:
        self._run(lab, operation, only)

    def _run(self, lab: ClassLab, operation: str, only: list[str] | None = None) -> None:
        """In the worker: every row to the grid as it comes (the gradebook has it already)."""
        began = time.monotonic()
        try:
            for row in lab.run(operation, only=only):
                if self.lab is not lab:  # the screen closed this class: its gradebook is this thread's to close
                    break
                self.app.call_from_thread(self._show, row)
        except Lpic3Error as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        finally:
            if self.lab is not lab:
                lab.gradebook.close()
        self.app.call_from_thread(self._done, operation, time.monotonic() - began)

    def _show(self, row: HostRow) -> None:
        if self.lab is None:
            return
        self.rows[row.student.name] = row
        grid: DataTable[str] = self.query_one("#class-grid", DataTable)
        outcomes = {r.check.id: r.outcome for r in row.results}
        for number, check in enumerate(self.lab.exercise.checks, 1):
            mark = MARKS.get(outcomes.get(check.id, ""), ".") if row.status == CHECKED else "-"
            grid.update_cell(row.student.name, f"check-{number}", mark)
        grid.update_cell(row.student.name, "result", _result(row), update_width=True)
        if self.highlighted() == row.student.name:
            self._detail(row.student.name)

    def _done(self, operation: str, seconds: float) -> None:
        self.job = None
        if self.lab is None:
            return
        if operation == CHECK:
            passed = sum(r.passed for r in self.rows.values())
            done = f"{passed}/{len(self.lab.students)} passed"
        else:
            done = f"set up on {sum(r.status == 'started' for r in self.rows.values())}/{len(self.lab.students)}"
        self._status(f"{self.lab.exercise.id}: {done} ({seconds:.1f} s). c check, r reset student, R start/reset all")

    # -- the detail pane ------------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._detail(event.row_key.value)

    def highlighted(self) -> str | None:
        grid: DataTable[str] = self.query_one("#class-grid", DataTable)
        if self.lab is None or not grid.row_count:
            return None
        return str(grid.coordinate_to_cell_key(grid.cursor_coordinate).row_key.value)

    def _detail(self, name: str) -> None:
        row = self.rows.get(name)
        pane = self.query_one("#class-detail", Static)
        if row is None:
            pane.update(f"{name}: no answer yet")
            return
        lines = [f"{name} ({row.student.host}): {_result(row)}"]
        if row.detail:
            lines.append(row.detail)
        for result in row.results:
            verdict = result.verdict
            lines.append(f"{LABELS[result.outcome]} {result.check.id}")
            lines.append(f"  expected {verdict.expected}")
            lines.append(f"  seen {verdict.seen}")
        pane.update("\n".join(lines))

    # -- leaving --------------------------------------------------------------------------------------
    def action_back(self) -> None:
        if self.job is not None and self.lab is not None:
            self.lab.stop()
            self.notify(f"Stopped {self.job}.")
            return
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self._close()

    def _close(self) -> None:
        """Stop and close the class's shells; its gradebook now, or by the worker as it ends."""
        lab, self.lab = self.lab, None
        if lab is not None:
            lab.stop()
            lab.close()
            if self.job is None:
                lab.gradebook.close()

    def _status(self, text: str) -> None:
        self.query_one("#class-status", Static).update(text)


def _result(row: HostRow) -> str:
    """A row's result in a few words: pass n/N and when, or the machine's state (why: in the detail pane)."""
    if row.status != CHECKED:
        return row.status
    passed = sum(r.outcome == "pass" for r in row.results)
    text = f"pass {passed}/{len(row.results)}" if row.passed else f"{passed}/{len(row.results)}"
    if row.passed_at is not None:
        text += f", first passed {time.strftime('%H:%M', time.localtime(row.passed_at))}"
    return text
