"""Docstrings, comments and docs point to files that exist: a reader sent to `docs/design.md` or
`trainer/labs/runner.py` finds it (several once cited a design note that was not in the repository).
References are repository paths (`docs/design.md`, `trainer/study/store.py:12`, `tests/`), upper-case
notes (`README.md`) and relative Markdown links in the docs; paths with placeholders
(`content/<objective>/lesson.md`) name a pattern, not a file."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

CODE_TREES = ("trainer", "checkers", "tests", "bench")
DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
TOP_DIRS = ("docs", "trainer", "checkers", "tests", "bench", "content", "exercises", ".ci")
# A repository path: one of the top folders, then anything up to a blank, quote, bracket or comma.
PATH = re.compile(rf"(?<![\w./~-])((?:{'|'.join(re.escape(d) for d in TOP_DIRS)})/[^\s`'\"()\[\],;]*)")
NOTE = re.compile(r"(?<![\w./-])([A-Z][A-Z0-9_-]*\.md)\b")  # upper-case notes, README.md and the like
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")  # [text](target) in Markdown
PLACEHOLDER = re.compile(r"[<>{}*$]")
BUILT_ONLY = ("trainer/_bundled",)  # made when the wheel is built (pyproject.toml force-include)


def comments_and_docstrings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment and docstring of a Python file: the prose, not the code."""
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                yield first.lineno, first.value.value


def references(text: str) -> Iterator[str]:
    """The file references in a piece of prose, as written (trailing punctuation and :line removed)."""
    for match in PATH.finditer(text):
        ref = re.sub(r"(::.*|:\d+(?:-\d+)?)$", "", match.group(1).rstrip(".:"))  # a test id, a line
        if not PLACEHOLDER.search(ref):
            yield ref
    yield from NOTE.findall(text)


def exists(ref: str, near: Path) -> bool:
    if ref.startswith(BUILT_ONLY):
        return True
    return (REPO / ref).exists() or (near.parent / ref).exists()


def prose() -> Iterator[tuple[str, Path, str]]:
    """(where, file, text) for every comment and docstring in the code and every doc."""
    for tree in CODE_TREES:
        for path in sorted((REPO / tree).rglob("*.py")):
            for line, text in comments_and_docstrings(path):
                yield f"{path.relative_to(REPO)}:{line}", path, text
    for path in (*DOCS, REPO / ".ci" / "run", REPO / "pyproject.toml"):
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield f"{path.relative_to(REPO)}:{line}", path, text


def test_every_file_reference_exists() -> None:
    missing = [f"{where}: {ref}" for where, path, text in prose() for ref in references(text) if not exists(ref, path)]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_in_the_docs_exists(doc: Path) -> None:
    links = LINK.findall(doc.read_text(encoding="utf-8"))
    missing = [link for link in links if "://" not in link and not (doc.parent / link).exists()]
    assert not missing, "\n".join(missing)


def test_the_finder_sees_what_a_reader_would_follow() -> None:
    """The patterns are not blind: they find what the old docstrings cited and skip patterns."""
    text = "follows DESIGN.md and trainer/labs/runner.py:47, see `docs/design.md`; content/<objective>/lesson.md"
    assert list(references(text)) == ["trainer/labs/runner.py", "docs/design.md", "DESIGN.md"]
    assert list(references("run tests/test_kvm.py::test_boot.")) == ["tests/test_kvm.py"]
    assert not exists("DESIGN.md", REPO / "trainer" / "labs" / "selftest.py")
    assert exists("docs/design.md", REPO / "trainer" / "labs" / "selftest.py")
    assert LINK.findall("see [the format](content-format.md#checks) and [x](https://example.org)") == [
        "content-format.md",
        "https://example.org",
    ]
