"""Reading values out of structured output: a dotted path into parsed JSON/YAML, compared as text."""

from __future__ import annotations

import json

MISSING = object()
SEEN_LIMIT = 400  # characters of what a verdict says it saw: 5 lines at 80 columns (3 disks of a domain)
EXCERPT_LIMIT = 160  # characters of a command's output or a file quoted in a verdict


def parsed_json(text: str) -> object:
    """``text`` parsed as JSON, or None when it is not JSON (a tool's error message instead)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def walk(value: object, dotted: str) -> object:
    """``value`` at ``dotted``, or MISSING. Each step is a map's key, a list index ('children.0.info',
    '-1' the last), or ``field=value`` for the list item whose field has that value
    ('containers.name=web.image'). A key that holds dots itself ('labels.app.kubernetes.io/name') is
    found too: where one part is not a key, it is joined with the parts after it, and the first
    reading that reaches a value wins (a key without dots first)."""
    return _walk(value, dotted.split(".") if dotted else [])


def _walk(value: object, parts: list[str]) -> object:
    if not parts:
        return value
    for joined in range(1, len(parts) + 1):
        step = _step(value, ".".join(parts[:joined]))
        if step is not MISSING and (found := _walk(step, parts[joined:])) is not MISSING:
            return found
    return MISSING


def _step(value: object, part: str) -> object:
    if isinstance(value, dict):
        return value.get(part, MISSING)
    if isinstance(value, list):
        if part.lstrip("-").isdigit():
            return value[int(part)] if -len(value) <= int(part) < len(value) else MISSING
        field, is_match, wanted = part.partition("=")
        if is_match:
            return next((i for i in value if isinstance(i, dict) and as_text(i.get(field)) == wanted), MISSING)
    return MISSING


def as_text(value: object) -> str:
    """Strings as they are; numbers, booleans, null, lists and maps as JSON writes them."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def shown(found: object) -> str:
    """A looked-up value as a verdict shows it: its text, or 'absent' when the key is not there."""
    return "absent" if found is MISSING else as_text(found)


def cap(text: str, limit: int = SEEN_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Output or file content as a verdict quotes it: one line (newlines shown as \\n), capped, or
    'nothing' when it is empty, so a verdict always says what was there."""
    text = text.strip()
    return repr(cap(text, limit)) if text else "nothing"
