"""The command palette: every objective's lesson and practice, and every action, by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar, cast

from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider

from trainer.tui.widgets.paging import page

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp  # which imports this module


class TrainerCommands(Provider):
    def _entries(self) -> list[tuple[str, Callable[[], object], str]]:
        app = cast("TrainerApp", self.app)  # the provider serves this app alone
        cur = app.curriculum
        entries: list[tuple[str, Callable[[], object], str]] = [
            ("Mock exam: start or resume", app.action_exam, "60 questions, 90 minutes"),
            ("Review: questions due now", app.action_review, "spaced review"),
            ("History of mock exams", app.action_history, "past results and trend"),
            ("Practise everything, weakest first", partial(app.action_practice, "all"), ""),
            ("Labs: hands-on exercises checked on this machine", partial(app.open_labs, None), ""),
            ("Class: a lab on every student machine of an inventory", app.action_open_class, "for instructors"),
            ("Help: keys", app.action_help, ""),
            ("Switch dark/light theme", app.action_toggle_theme, ""),
        ]
        for topic in cur.topics:
            entries.append((f"Practise topic {topic.id} {topic.title}", partial(app.action_practice, topic.id), ""))
        for oid, objective in cur.objectives.items():
            entries.append((f"Lesson {oid} {objective.title}", partial(app.open_lesson, oid), ""))
            entries.append((f"Practise {oid} {objective.title}", partial(app.action_practice, oid), ""))
        return entries

    async def discover(self) -> Hits:
        for text, command, help_text in self._entries():
            yield DiscoveryHit(text, command, help=help_text or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text or None)


class TrainerCommandPalette(CommandPalette):
    """Textual's palette with PageUp/PageDown that cannot crash it (see ``trainer.tui.widgets.paging``):
    pressed at once after ctrl+p or while results arrive, Textual's own raised KeyError."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", "Next page", show=False),
        Binding("pageup", "page(-1)", "Previous page", show=False),
    ]

    def action_page(self, direction: int) -> None:
        page(self.query_one(CommandList), direction)
