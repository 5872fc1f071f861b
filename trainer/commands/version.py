"""``lpic3 --version``: the program's version, the bundled curriculum's (which exam, which version
of LPI's objectives) and where the user's data lives.

Read when asked and kept fast: one YAML file through libyaml, no curriculum load, no Textual.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, NoReturn


class VersionAction(argparse.Action):
    """An argparse action like ``action="version"`` whose text is made only when the option is used."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(version_text())
        parser.exit()


def version_text() -> str:
    from trainer import __version__
    from trainer.paths import user_data_dir

    home = user_data_dir()
    where = " (LPIC3_HOME)" if os.environ.get("LPIC3_HOME") else ""
    return f"lpic3 {__version__}\ncurriculum: {_curriculum()}\nuser data: {home}{where}"


def _curriculum() -> str:
    """The bundled curriculum's exam and objectives version, from its objectives.yaml."""
    import yaml

    from trainer.paths import bundled_root

    path = bundled_root() / "content" / "objectives.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        exam = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)["exam"]
        return f"{exam['name']}, exam {exam['code']}, objectives version {exam['objectives_version']} ({path.parent})"
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        reason = getattr(exc, "strerror", None) or f"{type(exc).__name__}: {exc}"
        return f"unknown (cannot read {path}: {' '.join(str(reason).split())})"
