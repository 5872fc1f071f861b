"""PageUp/PageDown on an OptionList that has no rows on screen, without the crash.

Textual 8.2.8 (pinned; no later release exists to move to) pages an OptionList through a cache of
its lines that is built only once the list has a size on screen. Before its first layout (the
command palette opened and paged in the same instant) or with no room at all (Home on a 30x8
terminal), its page_up/page_down raise KeyError and take the app down. Here a page move waits for
the next layout, and does nothing if there is still nothing on screen to page through.
"""

from __future__ import annotations

from textual.widgets import OptionList


def page(options: OptionList, direction: int) -> None:
    """Move ``options``' highlight a page down (1) or up (-1) once it is laid out with rows to show."""

    def move() -> None:
        if options.scrollable_content_region:
            if direction > 0:
                OptionList.action_page_down(options)
            else:
                OptionList.action_page_up(options)

    if options.scrollable_content_region:
        move()
    else:
        options.call_after_refresh(move)


class PagedOptionList(OptionList):
    """An OptionList whose PageUp/PageDown are safe at any size."""

    def action_page_up(self) -> None:
        page(self, -1)

    def action_page_down(self) -> None:
        page(self, 1)
