"""Writing the file the user asked for: whole or not at all.

The export goes to a temporary file beside the target, which is renamed over it only once it is
complete; a failure (no such folder, a read-only one, a full disk) removes the temporary file and
is one line naming the path and the reason. An older export at the same path stays as it was.
"""

from __future__ import annotations

import errno
import os
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


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write`` with a temporary file beside ``target``, then rename it to ``target``.

    Raises UsageError naming ``target`` when it cannot be written; nothing is left behind then.
    """
    folder = target.parent
    temporary: Path | None = None
    try:
        if target.is_dir():
            raise UsageError(f"cannot write {_short(target)}: it is a folder")
        if not folder.is_dir():
            reason = "is not a folder" if folder.exists() else "does not exist"
            raise UsageError(f"cannot write {_short(target)}: the folder {_short(folder)} {reason}")
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
        reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc)).format(folder=_short(folder))
        raise UsageError(f"cannot write {_short(target)}: {reason}") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


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
