"""Reading YAML content files so that every value can be traced back to its line.

PyYAML forgets where values came from and silently keeps the last of two duplicate keys; a linter
that must name ``file:line`` needs both. Mappings load as ``LineMap`` (a dict that knows the line
of each key) and sequences as ``LineList`` (a list that knows the line of each item). The C parser
is used when PyYAML has it: the whole curriculum must load in well under 200 ms.
"""

from __future__ import annotations

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


class _Recursive(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Builder:
    """Turns the node tree composed by the (C) parser into LineMap, LineList and scalars.

    Walking the nodes directly is about three times faster than PyYAML's generator-based
    constructor. An alias yields the very object built for its anchor (so a "billion laughs"
    file costs nothing), and an alias that points into its own node is refused.
    """

    def __init__(self, loader: Any, first_line: int) -> None:
        self.loader, self.offset = loader, first_line - 1
        self.built: dict[int, Any] = {}
        self.building: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        key = id(node)
        if key in self.built:
            return self.built[key]
        if isinstance(node, yaml.ScalarNode):
            value = node.value if node.tag == _STR else self.loader.construct_object(node, deep=True)
        elif node.tag not in (_MAP, _SEQ):
            value = self.loader.construct_object(node, deep=True)  # explicit tags: PyYAML decides (or refuses)
        else:
            if key in self.building:
                raise _Recursive(node.start_mark.line + 1 + self.offset)
            self.building.add(key)
            value = self._mapping(node) if isinstance(node, yaml.MappingNode) else self._sequence(node)
            self.building.discard(key)
        self.built[key] = value
        return value

    def _mapping(self, node: yaml.MappingNode) -> LineMap:
        self.loader.flatten_mapping(node)  # merge keys (<<: *base)
        data = LineMap()
        data.line = node.start_mark.line + 1 + self.offset
        data.key_lines = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1 + self.offset
            item = self.build(key_node)
            try:
                hash(item)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if item in data.key_lines:
                raise _DuplicateKey(item, line, data.key_lines[item])
            data[item] = self.build(value_node)
            data.key_lines[item] = line
        return data

    def _sequence(self, node: yaml.SequenceNode) -> LineList:
        data = LineList(self.build(child) for child in node.value)
        data.line = node.start_mark.line + 1 + self.offset
        data.item_lines = [child.start_mark.line + 1 + self.offset for child in node.value]
        return data


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
    loader = _BaseLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _Builder(loader, first_line).build(node)
    except _Recursive as rec:
        raise _error(path, rec.line, "an alias refers to the node that contains it") from None
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
