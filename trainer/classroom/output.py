"""Writing what an instructor asked for: a file or a whole folder appears complete or not at all.

A class's papers, sheets and reports are handed out and graded later; a disk that fills up half
way, or a folder that is not writable, must not leave a paper without its sheet or a report cut off
in the middle. Everything is written beside its destination under a hidden temporary name and
renamed into place (a rename within one file system is atomic), and removed if anything failed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from trainer.curriculum.quoting import printable, shorten
from trainer.errors import UsageError


def write_file(path: Path, text: str, what: str) -> None:
    """``text`` to ``path`` through a temporary file and a rename; UsageError naming ``what`` otherwise."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {what} {_shown(path)}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write {what} {_shown(path)}: {exc.strerror or exc}") from None


def write_folder(folder: Path, files: dict[str, str], what: str) -> None:
    """A new folder holding ``files`` (name: text). ``folder`` must not exist or be empty: it is
    built under a temporary name and renamed into place, which replaces an empty folder."""
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(f"{folder} is not empty: {what} gets a folder of its own")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    try:
        temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {_shown(folder)}: {exc.strerror or exc}") from None
    try:
        for name, text in files.items():
            (temporary / name).write_text(text, encoding="utf-8")
        os.chmod(temporary, 0o777 & ~_umask())
        os.rename(temporary, folder)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise UsageError(f"cannot write {what} to {_shown(folder)}: {exc.strerror or exc}") from None


def _shown(path: Path) -> str:
    """A path as a one-line message shows it: escaped, and at most 120 characters of a long one."""
    return printable(shorten(str(path), 120))


def _umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
