"""Reading YAML content files so that every value can be traced back to its line.

PyYAML forgets where values came from and silently keeps the last of two duplicate keys; a linter
that must name ``file:line`` needs both. Mappings load as ``LineMap`` (a dict that knows the line
of each key) and sequences as ``LineList`` (a list that knows the line of each item). The C parser
is used when PyYAML has it: the whole curriculum must load in well under 200 ms.

Files come from anyone (a shared content tree, a student's answer sheet), so reading one is
bounded: at most ``MAX_BYTES`` from a regular file (never a FIFO that blocks or a device that never
ends), at most ``MAX_VALUES`` values once aliases are expanded (a "billion laughs" is an error,
not gigabytes of memory), and a value PyYAML cannot construct (``!!int abc``, a 5,000-digit
number) is an error at its line, never a traceback.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any, ClassVar, cast

import yaml

from trainer.curriculum.problems import ContentError, Problem, Severity
from trainer.curriculum.quoting import excerpt, printable, shorten

MAX_BYTES = 2 * 1024 * 1024  # per file; the largest bundled file is about 120 kB
MAX_VALUES = 200_000  # per file, counting every value an alias stands for
MAX_DIGITS = sys.get_int_max_str_digits() or 4300  # Python refuses to read longer numbers

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_INT, _MERGE, _TIMESTAMP = "tag:yaml.org,2002:int", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:timestamp"


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader without YAML 1.1's implicit dates: content has no date fields, and a stem
    such as ``2020-13-45`` is text, not a date PyYAML cannot build."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


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


class _Refused(Exception):
    """A node the builder will not turn into a value; ``line`` is in the file's numbering."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class _Builder:
    """Turns the node tree composed by the (C) parser into LineMap, LineList and scalars.

    Walking the nodes directly is about three times faster than PyYAML's generator-based
    constructor. An alias yields the very object built for its anchor, and the values it stands
    for are counted as if copied: whoever walks the result later (a linter, a message) walks them
    all, so the count is capped.
    """

    def __init__(self, loader: Any, first_line: int) -> None:
        self.loader, self.offset = loader, first_line - 1
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}  # values each built node expands to
        self.building: set[int] = set()
        self.values = 0

    def line(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + 1 + self.offset

    def build(self, node: yaml.Node) -> Any:
        key = id(node)
        if key in self.built:
            self._count(self.sizes[key], node)
            return self.built[key]
        if key in self.building:
            raise _Refused(self.line(node), "an alias refers to the node that contains it")
        before = self.values
        self._count(1, node)
        if isinstance(node, yaml.ScalarNode):
            value = node.value if node.tag == _STR else self._scalar(node)
        elif node.tag not in (_MAP, _SEQ):
            value = self._construct(node)  # explicit tags (!!set, !!omap ...): PyYAML decides (or refuses)
        else:
            self.building.add(key)
            # a node is a scalar, a mapping or a sequence: what is left here is a sequence
            value = (
                self._mapping(node)
                if isinstance(node, yaml.MappingNode)
                else self._sequence(cast(yaml.SequenceNode, node))
            )
            self.building.discard(key)
        self.built[key], self.sizes[key] = value, self.values - before
        return value

    def _count(self, values: int, node: yaml.Node) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            raise _Refused(
                self.line(node),
                f"more than {MAX_VALUES:,} values once aliases are expanded (lpic3's limit for one file)",
            )

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _INT and sum(c.isdigit() for c in node.value) > MAX_DIGITS:
            raise _Refused(self.line(node), f"a number of {len(node.value):,} digits (at most {MAX_DIGITS:,})")
        return self._construct(node)

    def _construct(self, node: yaml.Node) -> Any:
        """A value PyYAML builds; one it cannot build (``!!int abc``, ``!!bool maybe``) is refused."""
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError):
            kind = str(node.tag).rsplit(":", 1)[-1]
            shown = excerpt(node.value) if isinstance(node.value, str) else "this value"
            raise _Refused(self.line(node), f"{shown} is not a valid {kind} (!!{kind})") from None

    def _mapping(self, node: yaml.MappingNode) -> LineMap:
        data = LineMap()
        data.line = self.line(node)
        data.key_lines = {}
        merged: list[LineMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged += self._merge_sources(value_node)
                continue
            line = self.line(key_node)
            item = self.build(key_node)
            try:
                hash(item)
            except TypeError:
                raise _Refused(line, "a mapping key must be a plain value") from None
            if item in data.key_lines:
                raise _Refused(line, f"duplicate key {excerpt(item)} (first at line {data.key_lines[item]})")
            data[item] = self.build(value_node)
            data.key_lines[item] = line
        for source in merged:  # ``<<: [*a, *b]``: own keys win, then a's, then b's
            for item, value in source.items():
                if item not in data.key_lines:
                    data[item] = value
                    data.key_lines[item] = source.line_of(item)
        return data

    def _merge_sources(self, node: yaml.Node) -> list[LineMap]:
        """The mappings a merge key (``<<``) names. Merged here rather than by PyYAML's
        ``flatten_mapping``, whose copies grow exponentially along a chain of merges."""
        sources = [self.build(n) for n in node.value] if isinstance(node, yaml.SequenceNode) else [self.build(node)]
        if not all(isinstance(s, LineMap) for s in sources):
            raise _Refused(self.line(node), "a merge key (<<) takes a mapping or a list of mappings")
        return sources

    def _sequence(self, node: yaml.SequenceNode) -> LineList:
        data = LineList(self.build(child) for child in node.value)
        data.line = self.line(node)
        data.item_lines = [self.line(child) for child in node.value]
        return data


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_text(path: Path) -> str:
    """The file's text, or a ContentError that says plainly why it cannot be read.

    Only a regular file of at most ``MAX_BYTES`` is read: a FIFO would block for ever and a
    symlink to ``/dev/zero`` (or a 50 MB file) would fill the memory.
    """
    try:
        mode = path.stat().st_mode  # follows symlinks: what would be read
        if stat.S_ISDIR(mode):
            raise _error(path, 0, "is a directory, expected a file")
        if not stat.S_ISREG(mode):
            raise _error(path, 0, f"is {_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, expected a file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO put there since: no hang
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise _error(path, 0, "is not a regular file, expected a file")
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _error(path, 0, "file not found") from None
    except PermissionError:
        raise _error(path, 0, "cannot be read: permission denied") from None
    except OSError as exc:
        raise _error(path, 0, f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise _error(path, 0, f"is larger than {MAX_BYTES // 1024**2} MiB, lpic3's limit for one file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(path, line, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None


def load_yaml(path: Path, text: str | None = None, first_line: int = 1, aliases: bool = True) -> Any:
    """Parse one YAML document from ``path`` (or from ``text`` found in that file at ``first_line``).

    ``aliases=False`` refuses every alias: for files from people who may be hostile (answer sheets).
    """
    if text is None:
        text = read_text(path)
    offset = first_line - 1
    loader = _Loader(text)
    try:
        if not aliases:  # the composed nodes no longer tell where an alias was written: the events do
            alias = next((e for e in yaml.parse(text, Loader=_Loader) if isinstance(e, yaml.AliasEvent)), None)
            if alias is not None:
                line = alias.start_mark.line + 1 + offset if alias.start_mark else first_line
                raise _Refused(line, "aliases (*name) are not allowed here: write each value out")
        node = loader.get_single_node()
        return None if node is None else _Builder(loader, first_line).build(node)
    except _Refused as refused:
        raise _error(path, refused.line, refused.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        raise _error(path, line, f"YAML syntax: {shorten(printable(what), 120)}") from None
    except yaml.YAMLError as exc:
        raise _error(path, 0, f"YAML syntax: {shorten(printable(str(exc)), 120)}") from None
    except RecursionError:
        raise _error(path, 0, "YAML nested too deeply") from None
    finally:
        loader.dispose()


def _error(path: Path, line: int, message: str) -> ContentError:
    return ContentError(Problem(path, line, Severity.ERROR, message))
