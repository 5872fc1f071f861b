"""``lpic3 help [TOPIC]``: the file formats, read from docs/content-format.md when asked.

The text is the document's own section, not a copy: what ``lpic3 help questions`` prints cannot
drift from the documentation, and the installed wheel carries the document (pyproject.toml
force-includes it under ``trainer/_bundled/docs``).
"""

from __future__ import annotations

import argparse

# topic: the start of its "## " heading in docs/content-format.md
TOPICS = {
    "lessons": "Lessons:",
    "questions": "Questions:",
    "labs": "Exercises:",
    "answer-sheet": "Answer sheets:",
    "terms": "Official terms",
}
DOCUMENT = "docs/content-format.md"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    topics = sub.add_parser(
        "help",
        help="the file formats: lessons, questions, labs, answer sheets (`lpic3 help` lists them)",
        description="Print the format of a file you can write: " + ", ".join(TOPICS) + ".",
    )
    topics.add_argument("topic", nargs="?", metavar="TOPIC", help="one of: " + ", ".join(TOPICS))


def run(args: argparse.Namespace) -> int:
    sections = read_sections()
    if args.topic is None:
        width = max(map(len, TOPICS))
        print("lpic3 help TOPIC prints the format of:\n")
        for topic, heading in TOPICS.items():
            print(f"  {topic:<{width}}  {sections[heading].splitlines()[0].removeprefix('## ')}")
        return 0
    if args.topic not in TOPICS:
        from trainer.errors import UsageError

        raise UsageError(f"no help topic {args.topic!r} (topics: {', '.join(TOPICS)})")
    print(sections[TOPICS[args.topic]])
    return 0


def read_sections() -> dict[str, str]:
    """Each topic's section of the document (its "## " heading and the text up to the next one,
    headings inside fenced code not counted), by the heading start TOPICS names."""
    from trainer.errors import Lpic3Error
    from trainer.paths import bundled_root

    path = bundled_root() / DOCUMENT
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise Lpic3Error(f"cannot read the format documentation {path}: {exc.strerror or exc}") from None
    starts, fenced = [], False
    for number, line in enumerate(lines):
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("## "):
            starts.append(number)
    sections = {}
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        for heading in TOPICS.values():
            if lines[start].removeprefix("## ").startswith(heading):
                sections[heading] = "\n".join(lines[start:end]).strip()
    missing = [topic for topic, heading in TOPICS.items() if heading not in sections]
    if missing:
        raise Lpic3Error(f"{path} has no section for {', '.join(missing)}")
    return sections
