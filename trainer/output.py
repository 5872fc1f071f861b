"""Writing what the user asked for (an export, a paper, a report, a class's papers): whole or not at all.

A file goes to a temporary file beside its target, renamed over it only once it is complete; a
folder is built under a temporary name and renamed into place. A failure (no such folder, a
read-only one, a full disk) removes what was written and is one line naming the path and the
reason; an older file at the same path stays as it was. The one place every command writes through.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from trainer.errors import UsageError

_REASONS = {
    errno.EROFS: "the folder {folder} is on a read-only file system",
    errno.EACCES: "no permission to write in the folder {folder}",
    errno.EPERM: "no permission to write in the folder {folder}",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENAMETOOLONG: "the path is too long",
}


def write_atomically(target: Path, write: Callable[[BinaryIO], object], what: str = "") -> None:
    """Call ``write`` with a temporary file beside ``target``, then rename it to ``target``.

    Raises UsageError naming ``what`` (e.g. "the paper") and ``target`` when it cannot be written;
    nothing is left behind then.
    """
    folder = target.parent
    shown = f"{what} {_short(target)}" if what else _short(target)
    temporary: Path | None = None
    try:
        if target.is_dir():
            raise UsageError(f"cannot write {shown}: it is a folder")
        if not folder.is_dir():
            reason = "is not a folder" if folder.exists() else "does not exist"
            raise UsageError(f"cannot write {shown}: the folder {_short(folder)} {reason}")
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".lpic3-tmp")
        temporary = Path(name)
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(0o666 & ~_umask())
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise UsageError(f"cannot write {shown}: {_reason(exc, folder)}") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def write_text(target: Path, text: str, what: str = "") -> None:
    """``text`` (UTF-8) to ``target``, whole or not at all (see ``write_atomically``)."""
    write_atomically(target, lambda stream: stream.write(text.encode("utf-8")), what)


def write_folder(folder: Path, files: dict[str, str], what: str) -> None:
    """A new folder holding ``files`` (name: text). ``folder`` must not exist or be empty: it is
    built under a temporary name and renamed into place, which replaces an empty folder."""
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(f"{_short(folder)} is not empty: {what} gets a folder of its own")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{_short(folder)} exists and is not a folder")
    temporary: Path | None = None
    try:
        temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".lpic3-tmp", dir=folder.parent))
        for name, text in files.items():
            (temporary / name).write_text(text, encoding="utf-8")
        os.chmod(temporary, 0o777 & ~_umask())
        os.rename(temporary, folder)
        temporary = None
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {_short(folder)}: {_reason(exc, folder.parent)}") from None
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _reason(exc: OSError, folder: Path) -> str:
    return _REASONS.get(exc.errno or 0, exc.strerror or str(exc)).format(folder=_short(folder))


def _short(path: Path) -> str:
    """A path for a one-line message: a very long one (ENAMETOOLONG) is cut, not repeated whole."""
    text = str(path)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-60:]}"


def _umask() -> int:
    """The process's umask (read by setting it: there is no other way), so the file gets the mode a
    plain ``open`` would give it rather than mkstemp's 0600."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
