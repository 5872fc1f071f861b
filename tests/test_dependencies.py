"""Declared dependencies match imports: a third-party package the code imports is in pyproject.toml
(an installed wheel would otherwise fail on a machine where nothing else pulled it in), and a declared
runtime dependency is really imported (one nobody imports is a promise nobody keeps)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tests.conftest import REPO

OWN_PACKAGES = {"trainer", "checkers", "tests", "bench"}
RUNTIME_TREES = ("trainer", "checkers")  # what the wheel ships: only [project] dependencies are there
TEST_TREES = ("tests", "bench")  # run from a checkout with the test extra installed


def normalise(distribution: str) -> str:
    """PEP 503 name: PyYAML, pyyaml and py_yaml are one distribution."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def requirement_name(requirement: str) -> str:
    """The distribution a requirement string names ("markdown-it-py[linkify]>=3.0" -> "markdown-it-py")."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"cannot read a distribution name from {requirement!r}"
    return normalise(match.group(1))


def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def declared_runtime() -> set[str]:
    return {requirement_name(r) for r in pyproject()["project"]["dependencies"]}


def declared_extras() -> set[str]:
    """What an optional extra other than test declares (a command's own, such as class: ansible-core)."""
    extras = pyproject()["project"]["optional-dependencies"]
    return {requirement_name(r) for name, group in extras.items() if name != "test" for r in group}


def declared_test() -> set[str]:
    return {requirement_name(r) for r in pyproject()["project"]["optional-dependencies"]["test"]}


def top_level_imports(source: str, filename: str) -> Iterator[tuple[str, int]]:
    """Every absolute import's first name, anywhere in the module (lazy imports in functions too)."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], node.lineno


def third_party_imports(trees: Iterable[str]) -> dict[str, list[str]]:
    """Import name -> where it is imported ("trainer/tui/app.py:12"), stdlib and own packages left out."""
    found: dict[str, list[str]] = {}
    for tree in trees:
        for path in sorted((REPO / tree).rglob("*.py")):
            for name, line in top_level_imports(path.read_text(encoding="utf-8"), str(path)):
                if name in sys.stdlib_module_names or name in OWN_PACKAGES:
                    continue
                found.setdefault(name, []).append(f"{path.relative_to(REPO)}:{line}")
    return found


def distributions(import_name: str) -> set[str]:
    """The installed distributions that provide an import name (yaml -> pyyaml)."""
    return {normalise(d) for d in importlib.metadata.packages_distributions().get(import_name, [])}


def undeclared(trees: Iterable[str], declared: set[str]) -> list[str]:
    problems = []
    for name, places in sorted(third_party_imports(trees).items()):
        providers = distributions(name)
        if not providers:
            problems.append(f"{name} (imported at {places[0]}) is provided by no installed distribution")
        elif not providers & declared:
            problems.append(f"{name} (imported at {places[0]}) comes from {sorted(providers)}, not declared")
    return problems


def test_every_runtime_import_is_a_declared_dependency() -> None:
    assert undeclared(RUNTIME_TREES, declared_runtime() | declared_extras()) == []


def test_every_test_import_is_declared_in_the_test_extra_or_the_dependencies() -> None:
    assert undeclared(TEST_TREES, declared_runtime() | declared_test()) == []


def test_every_declared_dependency_is_imported() -> None:
    imported = set()
    for name in third_party_imports(RUNTIME_TREES):
        imported |= distributions(name)
    assert declared_runtime() - imported == set()


def test_the_check_sees_an_undeclared_import(tmp_path: Path) -> None:
    """The walker is not blind: a lazy import inside a function is found, stdlib and own ones are not."""
    source = "import os\nfrom trainer import cli\n\ndef f():\n    import yaml.constructor\n    from . import x\n"
    assert [name for name, _ in top_level_imports(source, "m.py")] == ["os", "trainer", "yaml"]
    assert distributions("yaml") == {"pyyaml"}
    assert requirement_name("markdown-it-py[linkify] >=3.0") == "markdown-it-py"
