"""A mock exam as one printable HTML page: header, questions, answer grid and, on request, the key.

Instructors print papers from a browser (or ``chromium --headless --print-to-pdf``), so the page is
self-contained (inline CSS, no scripts, no images, nothing fetched) and the print rules do the
layout: ``@page`` keeps the printer's paper size (A4 or Letter) with margins that fit both, no
question or key entry is split across pages, and the answer grid and the key each start a page, so
the grid can be handed in and the key kept apart. The classroom's per-student papers call
``render_paper_html`` with the student's name.

Text from the content is Markdown, rendered like the TUI renders it (markdown-it, CommonMark) but
with raw HTML off: ``<script>`` in a stem prints as text. Images are off too: a paper fetches nothing.
"""

from __future__ import annotations

from html import escape

from markdown_it import MarkdownIt

from trainer.curriculum.questions import LETTERS, choose_count
from trainer.study.exam import ExamItem, ExamPaper
from trainer.study.explain import explanation_for

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable("image")
# A browser may break a line after any hyphen, code included: `--log-driver` printed as "--" at the
# end of a line and "log-driver" on the next reads as two words. So a code word with a hyphen is kept
# on one line; one too long to fit a line (72 monospace characters fill 150 mm) may still break.
_UNBROKEN = 72


def _code(text: str) -> str:
    """Inline code, escaped, its hyphenated words unbreakable."""
    return (
        "<code>"
        + " ".join(
            f'<span class="nobr">{escape(word)}</span>' if "-" in word and len(word) <= _UNBROKEN else escape(word)
            for word in text.split(" ")
        )
        + "</code>"
    )


_MARKDOWN.add_render_rule("code_inline", lambda self, tokens, idx, options, env: _code(tokens[idx].content))

# Margins that fit A4 (210 x 297 mm) and Letter (216 x 279 mm) alike; the size is the printer's.
_CSS = """
@page { size: auto; margin: 14mm 15mm 16mm; }
html { font: 10.5pt/1.35 "DejaVu Sans", Helvetica, Arial, sans-serif; color: #000; background: #fff; }
body { margin: 0; }
@media screen { body { max-width: 48rem; margin: 2rem auto; padding: 0 1rem; } }
h1 { font-size: 1.35em; margin: 0 0 .2em; }
h2 { font-size: 1.05em; margin: 0 0 .3em; }
p { margin: .3em 0; }
.nobr { white-space: nowrap; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .92em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; border: .6pt solid #888; padding: .35em .6em; margin: .4em 0; }
.meta { font-size: .9em; margin: 0 0 .6em; }
.fields { display: flex; gap: 6mm; margin: .8em 0 .4em; }
.field { flex: 1; border-bottom: .8pt solid #000; padding-top: 1.4em; font-size: .9em; }
.field.wide { flex: 2; }
.field .label { font-weight: bold; margin-right: .5em; }
header { border-bottom: 1.5pt solid #000; padding-bottom: .5em; margin-bottom: 1em; break-inside: avoid; }
.question, .key-entry, .grid-row { break-inside: avoid; page-break-inside: avoid; }
.question { margin: 0 0 1.1em; }
.question h2 .kind { font-weight: normal; font-size: .9em; }
ol.options { list-style: none; padding: 0; margin: .35em 0 0; }
ol.options li { display: flex; gap: .6em; margin: .15em 0; }
ol.options .letter { font-weight: bold; flex: 0 0 1.4em; }
ol.options .text p { margin: 0; }
.fill-line { border-bottom: .8pt solid #000; width: 65%; height: 1.6em; }
.grid, .key { break-before: page; page-break-before: always; }
.grid-rows { column-count: 3; column-gap: 8mm; margin-top: .8em; }
.grid-row { display: flex; align-items: center; height: 7.6mm; }
.grid-row .number { flex: 0 0 8mm; font-weight: bold; text-align: right; margin-right: 2mm; }
.box { display: inline-block; width: 4.6mm; height: 4.6mm; border: .8pt solid #000; margin-right: 1.4mm;
       font-size: 6.5pt; line-height: 4.6mm; text-align: center; color: #555; }
.grid-row .line { flex: 1; border-bottom: .8pt solid #000; height: 4.6mm; }
.grid-row .choose { font-size: 7pt; margin-left: .5mm; }
.key-entry { margin: 0 0 .9em; }
.key-entry .answer { font-weight: bold; }
.key-entry .source { font-size: .85em; color: #333; }
"""


def render_paper_html(paper: ExamPaper, *, title: str, candidate: str | None = None, with_key: bool = False) -> str:
    """The whole page for ``paper``: ``title`` heads it (e.g. "LPIC-3 305-300"), ``candidate`` fills
    in the name field (a class's per-student paper), ``with_key`` adds the key on pages of its own."""
    heading = f"{title}: mock exam {paper.seed}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{escape(heading)}</title>",
        f"<style>{_CSS}</style></head>",
        "<body>",
        _header(paper, heading, candidate),
        '<main class="questions">',
        *(_question(number, item) for number, item in enumerate(paper.items, 1)),
        "</main>",
        _grid(paper, heading, candidate),
    ]
    if with_key:
        parts.append(_key(paper, heading))
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _header(paper: ExamPaper, heading: str, candidate: str | None) -> str:
    return (
        f"<header><h1>{escape(heading)}</h1>"
        f'<p class="meta">{len(paper.items)} questions, {paper.minutes} minutes. Single-answer questions have '
        "one right option; the others say how many to choose; fill-in questions want the exact command, "
        "option, file or path. Mark your answers on the answer grid at the end.</p>"
        f"{_fields(candidate)}"
        f'<p class="meta">Paper {escape(paper.fingerprint)}</p></header>'
    )


def _fields(candidate: str | None) -> str:
    """Name, candidate number and date: lines to write on (the name printed when it is known)."""
    name = escape(candidate) if candidate else ""
    return (
        '<div class="fields">'
        f'<div class="field wide"><span class="label">Name</span><span class="candidate">{name}</span></div>'
        '<div class="field"><span class="label">Candidate no.</span></div>'
        '<div class="field"><span class="label">Date</span></div></div>'
    )


def _question(number: int, item: ExamItem) -> str:
    q = item.question
    if q.type == "fill":
        answer = '<div class="fill-line" aria-label="answer"></div>'
    else:
        answer = (
            '<ol class="options">'
            + "".join(
                f'<li><span class="letter">{LETTERS[pos]}.</span>'
                f'<span class="text">{_MARKDOWN.renderInline(q.options[index].strip())}</span></li>'
                for pos, index in enumerate(item.order)
            )
            + "</ol>"
        )
    return (
        f'<section class="question" id="q{number}"><h2>Question {number} <span class="kind">({_kind(item)})</span>'
        f'</h2><div class="stem">{_MARKDOWN.render(q.stem.strip())}</div>{answer}</section>'
    )


def _kind(item: ExamItem) -> str:
    q = item.question
    if q.type == "fill":
        return "fill in"
    if q.type == "multi":
        count = choose_count(q.stem)
        return f"choose {count}" if count else "choose all that apply"
    return "one answer"


def _grid(paper: ExamPaper, heading: str, candidate: str | None) -> str:
    """One row per question: a box per option letter to tick, or a line for a fill-in answer."""
    rows = []
    for number, item in enumerate(paper.items, 1):
        q = item.question
        if q.type == "fill":
            marks = '<span class="line"></span>'
        else:
            marks = "".join(f'<span class="box">{LETTERS[pos]}</span>' for pos in range(len(item.order)))
            count = choose_count(q.stem) if q.type == "multi" else None
            if count:
                marks += f'<span class="choose">×{count}</span>'
        rows.append(f'<div class="grid-row" data-question="{number}"><span class="number">{number}</span>{marks}</div>')
    return (
        f'<section class="grid"><h1>Answer grid: {escape(heading)}</h1>{_fields(candidate)}'
        '<p class="meta">Tick one box per single-answer question, as many as asked otherwise; '
        "write fill-in answers on the line.</p>"
        f'<div class="grid-rows">{"".join(rows)}</div></section>'
    )


def _key(paper: ExamPaper, heading: str) -> str:
    entries = []
    for number, item in enumerate(paper.items, 1):
        q = item.question
        if q.type == "fill":
            answer = " | ".join(_code(text) for text in q.accept)
        else:
            answer = ", ".join(LETTERS[i] for i in item.displayed_answer())
        entries.append(
            f'<section class="key-entry" data-question="{number}"><h2>{number}. '
            f'<span class="answer">{answer}</span> <span class="source">({escape(q.objective)}, {escape(q.id)})'
            f'</span></h2><div class="explanation">{_MARKDOWN.render(explanation_for(item))}</div></section>'
        )
    return f'<section class="key"><h1>Answer key: {escape(heading)}</h1>{"".join(entries)}</section>'
