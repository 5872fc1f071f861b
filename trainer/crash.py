"""Crash notes: what an unexpected error leaves behind so that it can be reported.

A bug must not end in a wall of traceback for the user, nor vanish: the user sees one line naming
the note, and the note (in the data folder, private to the user) holds the traceback and versions.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from pathlib import Path

from trainer import __version__
from trainer.paths import private_data_dir, user_data_dir


def write_crash_note(exc: BaseException, where: str) -> Path | None:
    """Write ``crash-<time>-<pid>.txt`` in the data folder; None when even that is impossible."""
    text = (
        f"lpic3 {__version__} crashed in {where} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        f"python {platform.python_version()} on {platform.platform()}\n"
        f"argv: {sys.argv!r}\n\n" + "".join(traceback.format_exception(exc))
    )
    try:
        folder = private_data_dir(user_data_dir())
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as note:
            note.write(text)
    except (OSError, ValueError):
        return None
    return path


def crash_line(exc: BaseException, note: Path | None) -> str:
    """The one line the user sees."""
    kept = f"; details in {note}" if note else ""
    return f"lpic3: internal error ({type(exc).__name__}: {str(exc)[:200]}){kept}. Please report it."
