"""The class's lab grades out of the gradebook: JUnit, CSV, HTML and JSON.

One model (``class_report``: per student, per lab, per check: result, attempts, first pass time,
expected and seen), four renderings. Every number comes from the gradebook and nothing from the
clock, so running a report twice gives the same file. The checks listed are the lab's own (from
the curriculum), so a check a student never got to is in the report as not checked, not missing.

- JUnit: what CI dashboards and GitHub Classroom-style graders read: one ``testsuite`` per student,
  one ``testcase`` per check (class name: the lab), a ``failure`` with what was expected and seen,
  ``skipped`` for a check never judged.
- CSV: one line per student, lab and check, for a spreadsheet.
- HTML: one self-contained page (styles inline, no scripts, nothing fetched) to hand out.
- JSON: the model itself.
"""

from __future__ import annotations

import csv
import html
import io
import json
import time
from collections.abc import Callable, Sequence
from xml.etree import ElementTree

from trainer.classroom.gradebook import Gradebook
from trainer.classroom.inventory import Student
from trainer.curriculum.model import Curriculum, Exercise
from trainer.errors import UsageError

NOT_CHECKED = "not checked"


def find_exercise(cur: Curriculum, lab_id: str) -> Exercise:
    for exercise in cur.exercises:
        if exercise.id == lab_id:
            return exercise
    raise UsageError(f"no lab {lab_id!r} (`lpic3 labs` lists them)")


def _when(stamp: float | None) -> str | None:
    return None if stamp is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def class_report(
    cur: Curriculum, students: Sequence[Student], gradebook: Gradebook, lab_ids: Sequence[str] = ()
) -> dict[str, object]:
    """The report's model: the labs, and per student each lab's checks as the gradebook has them."""
    ids = list(dict.fromkeys(lab_ids)) or gradebook.labs([s.name for s in students])
    labs = [find_exercise(cur, lab_id) for lab_id in ids]
    rows = []
    for student in students:
        student_labs = []
        for lab in labs:
            recorded = gradebook.results(student.name, lab.id)
            attempt = gradebook.attempt(student.name, lab.id)
            host = gradebook.host(student.name, lab.id)
            checks = []
            for check in lab.checks:
                record = recorded.get(check.id)
                checks.append(
                    {
                        "id": check.id,
                        "result": record.outcome if record else NOT_CHECKED,
                        "attempts": record.attempts if record else 0,
                        "first_passed": _when(record.first_pass_at) if record else None,
                        "expected": record.expected if record else None,
                        "seen": record.seen if record else None,
                    }
                )
            student_labs.append(
                {
                    "lab": lab.id,
                    "title": lab.title,
                    "passed": all(c["result"] == "pass" for c in checks) and bool(checks),
                    "first_passed": _when(attempt.passed_at) if attempt else None,
                    "machine": {"status": host.status, "detail": host.detail} if host else None,
                    "checks": checks,
                }
            )
        rows.append({"student": student.name, "host": student.host, "labs": student_labs})
    return {"labs": [{"id": lab.id, "title": lab.title} for lab in labs], "students": rows}


def to_json(data: dict[str, object]) -> str:
    return json.dumps(data, indent=2) + "\n"


def _rows(data: dict[str, object]) -> list[tuple[dict[str, object], dict[str, object], dict[str, object]]]:
    """(student, lab, check) for every check in the report, in order."""
    found = []
    for student in data["students"]:  # type: ignore[attr-defined]
        for lab in student["labs"]:
            for check in lab["checks"]:
                found.append((student, lab, check))
    return found


def to_csv(data: dict[str, object]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "host", "lab", "check", "result", "attempts", "first_passed", "expected", "seen"])
    for student, lab, check in _rows(data):
        writer.writerow(
            [
                student["student"],
                student["host"],
                lab["lab"],
                check["id"],
                check["result"],
                check["attempts"],
                check["first_passed"] or "",
                check["expected"] or "",
                check["seen"] or "",
            ]
        )
    return out.getvalue()


def to_junit(data: dict[str, object]) -> str:
    suites = ElementTree.Element("testsuites", name="lpic3 class")
    total = failures = skipped = 0
    for student in data["students"]:  # type: ignore[attr-defined]
        cases = [(lab, check) for lab in student["labs"] for check in lab["checks"]]
        failed = sum(c["result"] == "fail" for _, c in cases)
        missing = sum(c["result"] not in ("pass", "fail") for _, c in cases)
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=student["student"],
            hostname=student["host"],
            tests=str(len(cases)),
            failures=str(failed),
            errors="0",
            skipped=str(missing),
        )
        for lab, check in cases:
            case = ElementTree.SubElement(suite, "testcase", classname=lab["lab"], name=check["id"], time="0")
            ElementTree.SubElement(case, "properties").extend(
                [
                    ElementTree.Element("property", name="attempts", value=str(check["attempts"])),
                    ElementTree.Element("property", name="first_passed", value=check["first_passed"] or ""),
                ]
            )
            if check["result"] == "fail":
                failure = ElementTree.SubElement(
                    case, "failure", message=f"expected {check['expected']}; seen {check['seen']}", type="check"
                )
                failure.text = f"expected: {check['expected']}\nseen: {check['seen']}\n"
            elif check["result"] != "pass":
                machine = lab["machine"]
                why = f"{machine['status']}: {machine['detail']}".rstrip(": ") if machine else check["result"]
                ElementTree.SubElement(case, "skipped", message=f"{check['result']} ({why})")
        total, failures, skipped = total + len(cases), failures + failed, skipped + missing
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("skipped", str(skipped))
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


_STYLE = """
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:2em}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eee}
.pass{background:#d9f2d9}.fail{background:#f8d7d7}.other{background:#eee;color:#666}
small{color:#555}
"""


def to_html(data: dict[str, object]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>lpic3 class report</title>",
        f"<style>{_STYLE}</style></head><body><h1>Class report</h1>",
    ]
    for lab in data["labs"]:  # type: ignore[attr-defined]
        entries = [(s, next(x for x in s["labs"] if x["lab"] == lab["id"])) for s in data["students"]]  # type: ignore[attr-defined]
        checks = [c["id"] for c in entries[0][1]["checks"]] if entries else []
        passed = sum(x["passed"] for _, x in entries)
        parts.append(f"<h2>{e(lab['id'])}: {e(lab['title'])}</h2><p>{passed} of {len(entries)} students passed.</p>")
        parts.append("<table><tr><th>student</th>" + "".join(f"<th>{e(c)}</th>" for c in checks))
        parts.append("<th>first passed</th></tr>")
        for student, entry in entries:
            cells = []
            for check in entry["checks"]:
                kind = check["result"] if check["result"] in ("pass", "fail") else "other"
                detail = (
                    f"<br><small>expected {e(str(check['expected']))}; seen {e(str(check['seen']))}</small>"
                    if check["result"] == "fail"
                    else ""
                )
                cells.append(f"<td class='{kind}'>{e(check['result'])} ({check['attempts']}){detail}</td>")
            machine = entry["machine"]
            note = (
                f"<br><small>{e(machine['status'])}: {e(machine['detail'])}</small>"
                if machine and machine["detail"]
                else ""
            )
            parts.append(
                f"<tr><td>{e(student['student'])}<br><small>{e(student['host'])}</small>{note}</td>"
                + "".join(cells)
                + f"<td>{e(entry['first_passed'] or '-')}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<p><small>Each cell: the last result (judged runs). Times in UTC.</small></p></body></html>\n")
    return "\n".join(parts)


FORMATS: dict[str, Callable[[dict[str, object]], str]] = {
    "junit": to_junit,
    "csv": to_csv,
    "html": to_html,
    "json": to_json,
}
