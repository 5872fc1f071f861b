"""The architecture is checked, not only described: the import-linter contracts in pyproject.toml
(the layers of docs/design.md, Textual only under trainer.tui, checkers never importing trainer) hold,
each of them really breaks when its rule is broken, and no module escapes them by being left out."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def contract(kind: str, name_part: str) -> dict[str, Any]:
    (found,) = [c for c in contracts() if c["type"] == kind and name_part in c["name"]]
    return found


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the tree at ``root``, which it imports from (PYTHONPATH), not from the install."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(root / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=300,
        check=False,
    )


def trainer_parts() -> set[str]:
    """trainer's direct sub-modules and sub-packages ("trainer.cli", "trainer.study", ...)."""
    parts = set()
    for path in (REPO / "trainer").iterdir():
        if path.suffix == ".py" and path.stem != "__init__":
            parts.add(f"trainer.{path.stem}")
        elif (path / "__init__.py").is_file():
            parts.add(f"trainer.{path.name}")
    return parts


def test_the_import_contracts_hold() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{len(contracts())} kept, 0 broken" in result.stdout


# violation -> (module, the import added to it, the contracts that must then break (a part of each name))
BREAKS = {
    "checkers imports trainer": ("checkers/shell.py", "import trainer.errors", {"never trainer", "Layers"}),
    "study imports Textual": (
        "trainer/study/scoring.py",
        "import textual.app",
        {"only under trainer.tui", "not even through another module"},
    ),
    "a command reaches Textual through the TUI": (
        "trainer/commands/tree.py",
        "import trainer.tui.app",
        {"not even through another module", "Layers"},
    ),
    "the curriculum imports a layer above it": ("trainer/curriculum/terms.py", "import trainer.study", {"Layers"}),
    "errors import the curriculum": ("trainer/errors.py", "import trainer.curriculum", {"Layers"}),
}


@pytest.mark.parametrize("violation", BREAKS)
def test_each_contract_breaks_when_its_rule_is_broken(violation: str, tmp_path: Path) -> None:
    """A copy of the tree with one forbidden import added: lint-imports exits 1 naming the contracts it breaks."""
    module, line, expected = BREAKS[violation]
    for package in ("trainer", "checkers"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # the violation under test\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-2000:]
    broken = set(re.findall(r"^(.+) BROKEN(?: \(.*\))?$", result.stdout, re.MULTILINE))
    assert {part for part in expected for name in broken if part in name} == expected
    assert len(broken) == len(expected), broken


def test_every_contract_is_proved_breakable() -> None:
    proved = {part for _, _, parts in BREAKS.values() for part in parts}
    assert all(any(part in c["name"] for part in proved) for c in contracts())


def test_no_module_outside_the_tui_escapes_the_headless_contract() -> None:
    """A new package under trainer/ is covered by the Textual contract and placed in a layer, not left free."""
    headless = set(contract("forbidden", "Headless")["source_modules"])
    assert trainer_parts() - {"trainer.tui"} == headless - {"checkers"}
    layered = {
        name.strip().strip("()")
        for layer in contract("layers", "Layers")["layers"]
        for name in layer.replace("|", ":").split(":")
    }
    assert trainer_parts() - {"trainer.__main__"} <= layered


def test_the_cli_imports_the_tui_only_inside_a_function() -> None:
    """The one import the Textual contract ignores (trainer.cli -> trainer.tui.app) stays lazy: headless
    commands never load Textual."""
    tree = ast.parse((REPO / "trainer" / "cli.py").read_text(encoding="utf-8"))
    at_module_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    tui_imports = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trainer.tui")
    ]
    assert tui_imports, "trainer.cli no longer opens the TUI: drop the ignore_imports entry in pyproject.toml"
    assert not set(at_module_level) & set(tui_imports)
    ignored = contract("forbidden", "Headless")["ignore_imports"]
    assert ignored == [f"trainer.cli -> {node.module}" for node in tui_imports]


def test_the_design_notes_describe_the_layers_the_contract_checks() -> None:
    """docs/design.md's layer table (top layer first) names the packages of the layers contract, in its order."""
    rows = [line for line in (REPO / "docs" / "design.md").read_text().splitlines() if line.startswith("| `")]
    described = [
        re.sub(r"(\.py|/)$", "", name).replace("/", ".")
        for row in rows
        for name in re.findall(r"`([^`]+)`", row.split(" | ")[0])
    ]
    level = {
        name.strip().strip("()"): index
        for index, layer in enumerate(contract("layers", "Layers")["layers"])
        for name in layer.replace("|", ":").split(":")
    }
    assert sorted(described) == sorted(level)
    assert [level[name] for name in described] == sorted(level[name] for name in described)
