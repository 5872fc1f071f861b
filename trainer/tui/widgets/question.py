"""One question on screen: the stem, then options to pick (keys A-E, arrows and space, or the mouse)
or an input for fill-in answers. Shared by practice, review and the mock exam."""

from __future__ import annotations

import re

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Markdown, Static

from trainer.curriculum.questions import LETTERS, choose_count
from trainer.study.exam import ExamItem
from trainer.study.grading import Response

_CODE = re.compile(r"`([^`]+)`")

# The keys that answer a question, shared by practice, review and the mock exam.
ANSWER_BINDINGS: list[BindingType] = [
    *(Binding(letter.lower(), f"pick({i})", f"Pick {letter}", show=False) for i, letter in enumerate("ABCDE")),
    Binding("up", "move(-1)", "Up", show=False),
    Binding("down", "move(1)", "Down", show=False),
    Binding("space", "pick_cursor", "Pick", show=False),
]


def inline_code(text: str) -> str:
    """Option text as Rich markup: brackets escaped, `code` shown bold instead of with backticks."""
    return _CODE.sub(lambda m: f"[b]{m.group(1)}[/b]", escape(text))


class OptionRow(Static):
    """One option: its letter, a box showing whether it is picked, and the text."""

    picked: reactive[bool] = reactive(False)
    cursor: reactive[bool] = reactive(False)

    def __init__(self, position: int, text: str, multi: bool) -> None:
        super().__init__(classes="option")
        self.position, self.text, self.multi = position, text, multi

    def render(self) -> str:
        box = ("\\[x]" if self.picked else "\\[ ]") if self.multi else ("(•)" if self.picked else "( )")
        return f"{box} {LETTERS[self.position]}. {inline_code(self.text)}"

    def watch_picked(self, picked: bool) -> None:
        self.set_class(picked, "-picked")

    def watch_cursor(self, cursor: bool) -> None:
        self.set_class(cursor, "-cursor")

    def on_click(self) -> None:
        self.post_message(QuestionView.Toggle(self.position))


class QuestionView(Vertical):
    """Shows ``item``; ``response`` is what the learner picked or typed, in the file's option order."""

    class Toggle(Message):
        def __init__(self, position: int) -> None:
            super().__init__()
            self.position = position

    class Changed(Message):
        """The learner changed the answer (picked, unpicked or typed) in ``view``: it says which
        question, for by the time this arrives the screen may show another one."""

        def __init__(self, view: QuestionView) -> None:
            super().__init__()
            self.view = view

    class Submitted(Message):
        """Enter in the fill-in input."""

    def __init__(self, item: ExamItem, number: str, initial: Response | None = None, focus_input: bool = True) -> None:
        """``focus_input=False`` leaves a fill-in field unfocused until the learner asks for it: where
        letter keys also move around (the mock exam), they must never be typed into an answer."""
        super().__init__(classes="question-view")
        self.item, self.number, self.focus_input = item, number, focus_input
        self.cursor = 0
        self.picked: set[int] = set()
        if isinstance(initial, tuple):
            self.picked = {item.order.index(i) for i in initial if i in item.order}
        self.typed = initial if isinstance(initial, str) else ""

    @property
    def multi(self) -> bool:
        return self.item.question.type == "multi"

    @property
    def is_fill(self) -> bool:
        return self.item.question.type == "fill"

    def compose(self) -> ComposeResult:
        q = self.item.question
        with VerticalScroll(classes="question-body"):
            kind = {
                "single": "one answer",
                "multi": f"choose {choose_count(q.stem) or 'several'}",
                "fill": "type the answer",
            }[q.type]
            yield Static(f"[b]{self.number}[/b]  [dim]{q.objective} · {kind}[/dim]", classes="question-head")
            yield Markdown(q.stem.strip(), classes="stem")
            if self.is_fill:
                placeholder = "type your answer, then Enter" if self.focus_input else "press i or Enter to type"
                # Focusing never selects the answer: a key typed next adds to it instead of replacing it.
                yield Input(value=self.typed, placeholder=placeholder, id="fill", select_on_focus=False)
            else:
                for position, index in enumerate(self.item.order):
                    row = OptionRow(position, q.options[index].strip(), self.multi)
                    row.picked = position in self.picked
                    row.cursor = position == self.cursor
                    yield row

    def on_mount(self) -> None:
        if self.is_fill and self.focus_input:
            self.query_one(Input).focus()

    def focus_answer(self) -> None:
        """Put the cursor in the fill-in field (if this question has one) before the next key is
        handled: ``Input.focus()`` would only do it later, and keys typed meanwhile act as commands."""
        for field in self.query(Input):
            self.screen.set_focus(field)

    @property
    def response(self) -> Response | None:
        if self.is_fill:
            return self.typed if self.typed.strip() else None
        return self.item.to_file_indices(tuple(sorted(self.picked))) if self.picked else None

    def toggle(self, position: int) -> None:
        if self.is_fill or not 0 <= position < len(self.item.order):
            return
        if self.multi:
            self.picked ^= {position}
        else:
            self.picked = set() if self.picked == {position} else {position}
        self.cursor = position
        self._refresh_rows()
        self.post_message(self.Changed(self))

    def move(self, step: int) -> None:
        if not self.is_fill:
            self.cursor = (self.cursor + step) % len(self.item.order)
            self._refresh_rows()

    def scroll_pages(self, pages: int) -> None:
        """Scroll a question longer than the screen (where nothing in it has the focus)."""
        body = self.query_one(VerticalScroll)
        body.scroll_to(y=body.scroll_y + pages * body.scrollable_content_region.height, animate=False)

    def _refresh_rows(self) -> None:
        for row in self.query(OptionRow):
            row.picked = row.position in self.picked
            row.cursor = row.position == self.cursor

    def on_question_view_toggle(self, event: Toggle) -> None:
        event.stop()
        self.toggle(event.position)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value == self.typed:  # the field showing its first value: nothing was typed
            return
        self.typed = event.value
        self.post_message(self.Changed(self))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted())

    def freeze_answer(self) -> None:
        """No more changes (after practice feedback)."""
        for widget in self.query(Input):
            widget.disabled = True
