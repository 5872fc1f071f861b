"""Reading YAML content files so that every value can be traced back to its line.

PyYAML forgets where values came from and silently keeps the last of two duplicate keys; a linter
that must name ``file:line`` needs both. Mappings load as ``LineMap`` (a dict that knows the line
of each key) and sequences as ``LineList`` (a list that knows the line of each item). The C parser
is used when PyYAML has it: the whole curriculum must load in well under 200 ms.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from trainer.curriculum.problems import ContentError, Problem, Severity

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineMap(dict):
    """A mapping from a YAML file: ``line`` is where it starts, ``key_lines[key]`` where each key is."""

    line: int
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """The line of ``key``, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence from a YAML file: ``line`` is where it starts, ``item_lines[i]`` where item i is."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that keeps lines and refuses duplicate keys. ``first_line`` is the file line of the
    text's first line (front matter starts on line 2 of a lesson)."""

    first_line = 1


def _construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[LineMap]:
    data = LineMap()
    data.line = node.start_mark.line + loader.first_line
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + loader.first_line
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in data.key_lines:
            raise _DuplicateKey(key, line, data.key_lines[key])
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Iterator[LineList]:
    data = LineList()
    data.line = node.start_mark.line + loader.first_line
    data.item_lines = [child.start_mark.line + loader.first_line for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def read_text(path: Path) -> str:
    """The file's text, or a ContentError that says plainly why it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _error(path, 0, "file not found") from None
    except IsADirectoryError:
        raise _error(path, 0, "is a directory, expected a file") from None
    except PermissionError:
        raise _error(path, 0, "cannot be read: permission denied") from None
    except OSError as exc:
        raise _error(path, 0, f"cannot be read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(path, line, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None


def load_yaml(path: Path, text: str | None = None, first_line: int = 1) -> Any:
    """Parse one YAML document from ``path`` (or from ``text`` found in that file at ``first_line``)."""
    if text is None:
        text = read_text(path)
    offset = first_line - 1
    loader = _LineLoader(text)
    loader.first_line = first_line
    try:
        return loader.get_single_data()
    except _DuplicateKey as dup:
        raise _error(path, dup.line, f"duplicate key {dup.key!r} (first at line {dup.first})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        raise _error(path, line, f"YAML syntax: {what}") from None
    except yaml.YAMLError as exc:
        raise _error(path, 0, f"YAML syntax: {exc}") from None
    except RecursionError:
        raise _error(path, 0, "YAML nested too deeply") from None
    finally:
        loader.dispose()


def _error(path: Path, line: int, message: str) -> ContentError:
    return ContentError(Problem(path, line, Severity.ERROR, message))
