"""Loading a lesson: ``lesson.md`` with a small YAML front matter, its headings and word count."""

from __future__ import annotations

import re
from pathlib import Path

from trainer.curriculum.fields import Fields
from trainer.curriculum.model import Heading, Lesson, Location
from trainer.curriculum.problems import Problem, Severity
from trainer.curriculum.quoting import CONTROL, excerpt
from trainer.curriculum.yamlfile import LineMap, load_yaml, read_text

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_WORD = re.compile(r"[A-Za-z0-9][\w'’./-]*")


def load_lesson(path: Path, folder_objective: str, problems: list[Problem]) -> Lesson | None:
    """Parse ``path``; report problems with its front matter at their lines and return None on error."""
    text = read_text(path)
    normal = text.replace("\r\n", "\n")
    control = CONTROL.search(normal)
    if control:
        line = normal.count("\n", 0, control.start()) + 1
        problems.append(
            Problem(
                path,
                line,
                Severity.ERROR,
                f"holds the control character {control.group()!r} (only newline and tab are allowed)",
                folder_objective,
            )
        )
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(
            Problem(
                path,
                1,
                Severity.ERROR,
                "lesson must start with a front matter block ('---', objective, title, '---')",
                folder_objective,
            )
        )
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(
            Problem(path, 1, Severity.ERROR, "front matter is not closed by a '---' line", folder_objective)
        )
        return None
    meta = load_yaml(path, "\n".join(lines[1:end]), first_line=2)
    if not isinstance(meta, LineMap):
        problems.append(
            Problem(path, 2, Severity.ERROR, "front matter must be a mapping (objective, title)", folder_objective)
        )
        return None
    f = Fields(meta, path, "lesson", problems, folder_objective)
    f.check_keys(("objective", "title"))
    objective, title = f.objective_id(), f.text("title")
    if objective is not None and objective != folder_objective:
        f.problem("objective", f"objective {excerpt(objective)} does not match its folder {folder_objective!r}")
    body_lines = lines[end + 1 :]
    headings, prose = _scan(body_lines, first_line=end + 2)
    if not (f.ok and title):
        return None  # every missing or wrong field has been reported
    return Lesson(
        folder_objective,
        title,
        "\n".join(body_lines),
        headings,
        len(_WORD.findall(prose)),
        Location(path, 1),
    )


def _scan(lines: list[str], first_line: int) -> tuple[tuple[Heading, ...], str]:
    """Headings (for the table of contents) and the prose outside code blocks (for the word count)."""
    headings: list[Heading] = []
    prose: list[str] = []
    fence: str | None = None
    for number, line in enumerate(lines, start=first_line):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1) == fence:
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        heading = _HEADING.match(line)
        if heading:
            headings.append(Heading(len(heading.group(1)), heading.group(2), number))
        prose.append(line)
    return tuple(headings), "\n".join(prose)


def body_headings(body: str) -> tuple[Heading, ...]:
    """A lesson body's headings, ``line`` counted from 0 in the body: where the lesson viewer cuts it."""
    return _scan(body.splitlines(), first_line=0)[0]
