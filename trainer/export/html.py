"""Markdown of the bank as HTML, the text format Anki fields and Moodle questions take.

Raw HTML in the content is shown as text, never passed through: an export must not carry markup
the author did not mean (and the linter does not check HTML).
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def block(markdown: str) -> str:
    """A stem, an explanation or a feedback: paragraphs, lists, code blocks."""
    return _renderer().render(markdown.strip()).strip()


def inline(markdown: str) -> str:
    """An option: one line of inline Markdown (code, emphasis), no paragraph around it."""
    return _renderer().renderInline(markdown.strip()).strip()
