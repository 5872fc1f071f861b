"""Where the bundled curriculum and the user's data live.

An installed wheel carries ``content/`` and ``exercises/`` under ``trainer/_bundled``; a source
checkout (editable install or ``python -m trainer``) has them at the repository root. User data
goes to the platform's data directory unless ``LPIC3_HOME`` points elsewhere (tests always set it).
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_root() -> Path:
    """The directory holding the bundled ``content/`` and ``exercises/``."""
    installed = _PACKAGE_DIR / "_bundled"
    if (installed / "content").is_dir():
        return installed
    return _PACKAGE_DIR.parent


def user_data_dir() -> Path:
    """The directory for progress and settings; ``LPIC3_HOME`` overrides the platform default."""
    override = os.environ.get("LPIC3_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path  # imported here: only commands that store data need it

    return user_data_path("lpic3", appauthor=False)
