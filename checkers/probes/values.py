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
    """``value`` at ``dotted`` ('State.Running', 'children.0.info'), or MISSING."""
    for part in dotted.split(".") if dotted else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


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
