"""A graded class exam as CSV (for a spreadsheet), one self-contained HTML page, or JSON.

Each holds the same two tables and the same legend: per student the estimated scaled score, pass or
fail and the share right per objective; per question the item analysis (trainer.classroom.
itemanalysis). Typed answers come from students' sheets: the HTML escapes them, and a CSV cell that
a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-`` or ``@``) is written with a
leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape

from trainer.classroom.exams import ClassResult, ItemRow, StudentResult
from trainer.classroom.itemanalysis import ResponseCount
from trainer.curriculum.model import Curriculum
from trainer.study.paper import letters
from trainer.study.scoring import ESTIMATE_NOTE

FORMATS = ("csv", "html", "json")

LEGEND = {
    "score": "Scaled score: " + ESTIMATE_NOTE + ". Absent: no sheet in the folder, or a sheet with no answer at all.",
    "class": "Class: the graded sheets' share right on the whole paper: mean, median and the sample standard "
    "deviation (n - 1), as Moodle's quiz information gives them.",
    "objectives": "Per objective: right answers / questions of that objective on the student's paper.",
    "letters": "Option letters are the question bank's (A is the first option in the question's file): "
    "every paper shuffles the options, and each student's answers are mapped back before counting.",
    "attempts": "Attempts: graded students whose paper had the question (each paper is drawn on its own).",
    "facility": "Facility: share of the attempts answered right (a blank counts as wrong).",
    "discrimination": "Discrimination: facility in the top third of the class minus facility in the bottom "
    "third (ranked by share right on the whole paper, n // 3 students each, ties by name), counting the "
    "members whose paper had the question; -1 to 1, empty when either third had no attempt.",
    "discrimination_index": "Discrimination index: as Moodle's, the correlation between the mark on the question "
    "(1 or 0) and the share right on the rest of the paper; -1 to 1, empty when undefined (fewer than two "
    "attempts, all right or all wrong, or no spread in the rest).",
    "options": "Per option: how many attempts chose it; * marks a right option. A multi-answer question is "
    "right only with all and only its right options; its attempts count once for each option they chose.",
    "responses": "Responses: every distinct answer with its count, right or wrong, so each wrong answer's "
    "pick is visible; a fill-in question's typed answers are shown with their blanks folded and graded "
    "by the question's own rules (any accepted spelling).",
    "shading": "In the HTML report a discrimination of 0 or below is shaded: the question did not separate the "
    "stronger students from the weaker ones (check its key and wording).",
    "csv": "In the CSV, a text cell that starts with =, +, - or @ has a leading ' so that a spreadsheet shows "
    "it as text instead of running it as a formula.",
}


def render(result: ClassResult, cur: Curriculum, form: str) -> str:
    return {"csv": to_csv, "html": to_html, "json": to_json}[form](result, cur)


def summary(result: ClassResult) -> str:
    """One line: how many were graded, passed and absent, and why."""
    graded = result.graded
    passed = sum(1 for s in graded if s.result and s.result.passed)
    absent = [f"{s.student} ({s.absent})" for s in result.students if s.absent]
    text = f"graded {len(graded)} of {len(result.students)} students, {passed} passed (estimate)"
    return text + (f"; absent: {', '.join(absent)}" if absent else "")


def to_json(result: ClassResult, cur: Curriculum) -> str:
    data = {
        "exam": result.exam.exam,
        "class_seed": result.exam.class_seed,
        "summary": summary(result),
        "class": {
            "graded": result.stats.attempts,
            "mean": _rounded(result.stats.mean),
            "median": _rounded(result.stats.median),
            "standard_deviation": _rounded(result.stats.deviation),
        },
        "students": [_student_json(s) for s in result.students],
        "items": [_item_json(row) for row in result.items],
        "legend": LEGEND,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _student_json(student: StudentResult) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": student.student,
        "seed": student.seed,
        "sheet": student.sheet.name if student.sheet else None,
        "absent": student.absent,
    }
    if student.result is not None:
        entry |= student.result.to_json()
    return entry


def _item_json(row: ItemRow) -> dict[str, object]:
    q, stats = row.question, row.stats
    return {
        "id": q.id,
        "objective": q.objective,
        "type": q.type,
        "key": _key(row),
        "attempts": stats.attempts,
        "right": stats.right,
        "blank": stats.blank,
        "facility": _rounded(stats.facility),
        "discrimination": _rounded(stats.discrimination),
        "discrimination_index": _rounded(stats.index),
        "options": [
            {"letter": letters((i,)), "text": q.options[i].strip(), "chosen": count, "right": i in q.answer}
            for i, count in enumerate(stats.options)
        ],
        "responses": [
            {"response": _response(r, blank=None), "count": r.count, "right": r.right} for r in stats.responses
        ],
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def to_csv(result: ClassResult, cur: Curriculum) -> str:
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    objectives = list(cur.objectives)
    write(["Students"])
    write(
        ["student", "absent", "seed", "sheet", "correct", "total", "percent", "scaled estimate", "result", *objectives]
    )
    for s in result.students:
        r = s.result
        head = [s.student, s.absent or "", s.seed, s.sheet.name if s.sheet else ""]
        if r is None:
            write(head)
            continue
        tallies = [f"{r.by_objective[o].correct}/{r.by_objective[o].total}" for o in objectives]
        verdict = "PASS" if r.passed else "FAIL"
        write([*head, r.overall.correct, r.overall.total, f"{r.overall.percent:.1f}", r.scaled, verdict, *tallies])
    write([])
    write(["Class", "graded", "mean %", "median %", "standard deviation %"])
    shares = result.stats
    write(["", shares.attempts, *(_number(v, 100, 1) for v in (shares.mean, shares.median, shares.deviation))])
    write([])
    width = max((len(row.stats.options) for row in result.items), default=0)
    option_columns = [letters((i,)) for i in range(width)]
    write(["Questions"])
    write(
        [
            "question",
            "objective",
            "type",
            "key",
            "attempts",
            "right",
            "blank",
            "facility %",
            "discrimination",
            "discrimination index",
            *option_columns,
            "most common wrong response",
        ]
    )
    for row in result.items:
        stats = row.stats
        options = [f"{count}{'*' if i in row.question.answer else ''}" for i, count in enumerate(stats.options)]
        write(
            [
                _cell(row.question.id),
                row.question.objective,
                row.question.type,
                _cell(" | ".join(_key(row))),
                stats.attempts,
                stats.right,
                stats.blank,
                _number(stats.facility, 100, 1),
                _number(stats.discrimination, 1, 2),
                _number(stats.index, 1, 2),
                *options,
                *[""] * (width - len(options)),
                _cell(_top_wrong(stats.responses)),
            ]
        )
    write([])
    write(["Legend"])
    for text in LEGEND.values():
        write([text])
    return out.getvalue()


def _number(value: float | None, scale: int, places: int) -> str:
    return "" if value is None else f"{value * scale:.{places}f}"


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ``=``, ``+``, ``-`` or ``@`` would make it a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _top_wrong(responses: tuple[ResponseCount, ...]) -> str:
    wrong = next((r for r in responses if not r.right and r.response is not None), None)
    return "" if wrong is None else f"{_response(wrong, blank='')} ({wrong.count})"


def _key(row: ItemRow) -> list[str]:
    q = row.question
    return list(q.accept) if q.type == "fill" else [letters((i,)) for i in q.answer]


def _response(r: ResponseCount, blank: str | None) -> str | None:
    if r.response is None:
        return blank
    return r.response if isinstance(r.response, str) else letters(r.response)


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: #111; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #bbb; padding: .2rem .45rem; text-align: right; vertical-align: top; }
th { background: #eee; }
td.text, th.text { text-align: left; }
tr.absent td { color: #777; }
.pass { color: #060; font-weight: bold; }
.fail { color: #a00; font-weight: bold; }
.right { font-weight: bold; }
.low { background: #fdd; }
ul.responses, ul.options { margin: 0; padding-left: 1rem; text-align: left; }
ul.options { white-space: nowrap; }
ul.responses { overflow-wrap: anywhere; min-width: 12rem; }
td.key { overflow-wrap: anywhere; max-width: 14rem; }
dt { font-weight: bold; margin-top: .4rem; }
"""


def to_html(result: ClassResult, cur: Curriculum) -> str:
    objectives = list(cur.objectives)
    title = f"LPIC-3 {result.exam.exam} class exam {result.exam.class_seed}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(summary(result))}</p>",
        f"<p>Share right: mean {_number(result.stats.mean, 100, 1) or '-'} %, median "
        f"{_number(result.stats.median, 100, 1) or '-'} %, standard deviation "
        f"{_number(result.stats.deviation, 100, 1) or '-'} % (of the graded sheets).</p>",
        "<h2>Students</h2><table><tr>",
        '<th class="text">student</th><th>correct</th><th>%</th><th>scaled (estimate)</th><th>result</th>',
        *(f'<th title="{escape(cur.objectives[o].title)}">{escape(o)}</th>' for o in objectives),
        "</tr>",
    ]
    for s in result.students:
        r = s.result
        if r is None:
            parts.append(
                f'<tr class="absent"><td class="text">{escape(s.student)}</td>'
                f'<td class="text" colspan="{4 + len(objectives)}">absent: {escape(s.absent or "")}</td></tr>'
            )
            continue
        verdict = '<span class="pass">PASS</span>' if r.passed else '<span class="fail">FAIL</span>'
        cells = "".join(f"<td>{r.by_objective[o].correct}/{r.by_objective[o].total}</td>" for o in objectives)
        parts.append(
            f'<tr><td class="text">{escape(s.student)}</td><td>{r.overall.correct}/{r.overall.total}</td>'
            f"<td>{r.overall.percent:.1f}</td><td>{r.scaled}</td><td>{verdict}</td>{cells}</tr>"
        )
    parts += [
        "</table>",
        "<h2>Questions</h2><table><tr>",
        '<th class="text">question</th><th class="text">type</th><th class="text">key</th><th>attempts</th>'
        "<th>facility %</th><th>discrimination</th><th>discrimination index</th>"
        '<th class="text">options chosen</th><th class="text">responses</th></tr>',
        *(_item_html(row) for row in result.items),
        "</table>",
        "<h2>Legend</h2><dl>",
        *(f"<dt>{escape(name.replace('_', ' '))}</dt><dd>{escape(text)}</dd>" for name, text in LEGEND.items()),
        "</dl></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _item_html(row: ItemRow) -> str:
    q, stats = row.question, row.stats
    options = "".join(
        f'<li title="{escape(q.options[i].strip()[:300])}"{" class=right" if i in q.answer else ""}>'
        f"{letters((i,))}{'*' if i in q.answer else ''}: {n}</li>"
        for i, n in enumerate(stats.options)
    )
    responses = "".join(
        f"<li{' class=right' if r.right else ''}>{escape(_response(r, blank='(blank)') or '')}: {r.count}</li>"
        for r in stats.responses
    )
    low = ' class="low"' if stats.discrimination is not None and stats.discrimination <= 0 else ""
    return (
        f'<tr><td class="text" title="{escape(q.stem.strip()[:300])}">{escape(q.id)} ({escape(q.objective)})</td>'
        f'<td class="text">{escape(q.type)}</td><td class="text key">{escape(" | ".join(_key(row)))}</td>'
        f"<td>{stats.attempts}</td><td>{_number(stats.facility, 100, 1)}</td>"
        f"<td{low}>{_number(stats.discrimination, 1, 2)}</td><td>{_number(stats.index, 1, 2)}</td>"
        f'<td class="text"><ul class="options">{options}</ul></td>'
        f'<td class="text"><ul class="responses">{responses}</ul></td></tr>'
    )
