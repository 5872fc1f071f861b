"""Where the bundled curriculum and the user's data live.

An installed wheel carries ``content/`` and ``exercises/`` under ``trainer/_bundled``; a source
checkout (editable install or ``python -m trainer``) has them at the repository root. User data
goes to the platform's data directory unless ``LPIC3_HOME`` points elsewhere (tests always set it).
That folder holds the learner's progress and crash notes: it is the user's alone (0700).
"""

from __future__ import annotations

import os
import re
import stat
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


def private_data_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner alone (0700) and tighten an existing one to that.

    For the user's data folder and what is in it: older lpic3 made them 0755, so an open folder is
    tightened, not refused (``checkers.privdir.private_dir`` refuses, which is right for root's
    folders under /run and /var/lib). Missing parents are made 0700 too (as the XDG base directory
    specification asks). A folder that is not lpic3's alone is left as it is, its mode is not
    lpic3's to change: one the user does not own, a shared sticky one such as ``/tmp``, or one that
    holds anything but lpic3's own files (``LPIC3_HOME=/srv/class`` must not lock a class out).
    """
    for folder in reversed([p for p in (path, *path.parents) if not p.exists()]):
        folder.mkdir(mode=0o700, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.geteuid() and not info.st_mode & stat.S_ISVTX and info.st_mode & 0o077 and _lpic3_only(path):
        path.chmod(0o700)
    return path


_OWN_NAMES = re.compile(
    r"progress\.sqlite3.*|instance\.lock|crash-.*\.txt|cache|sandbox|curriculum-.*\.(pickle|tmp)|class|class\.db.*"
)


def _lpic3_only(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but what lpic3 writes there (bounded: a big folder is not ours)."""
    with os.scandir(folder) as entries:
        for count, entry in enumerate(entries):
            if count > 1000 or not _OWN_NAMES.fullmatch(entry.name):
                return False
    return True
