"""Reading values out of structured output: a dotted path into parsed JSON/YAML, compared as text."""

from __future__ import annotations

import json

MISSING = object()


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
