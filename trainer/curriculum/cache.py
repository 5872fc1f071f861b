"""A pickled copy of the loaded curriculum, so the TUI opens without parsing every file again.

The cache is keyed by the path, size and modification time of every content file and by the
program's version: any edit, added or removed file makes it stale and it is rebuilt. ``lint`` and
the other checks never use it; a cache that cannot be read or written is simply ignored: one that
is too big, truncated or garbled is rebuilt. It is written under a temporary name and renamed
into place, so a reader never sees half a file; a temporary file left by a killed writer is
removed by the next write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path

from trainer import __version__
from trainer.curriculum.model import Curriculum
from trainer.paths import bundled_root, private_data_dir, user_data_dir

MAX_BYTES = 64 * 1024 * 1024  # the bundled curriculum pickles to ~1.3 MB; anything far bigger is not ours


def _signature(root: Path) -> str:
    digest = hashlib.sha256(f"{__version__}\0{root}".encode())
    for folder in ("content", "exercises"):
        for directory, _, files in sorted(os.walk(root / folder)):
            for name in sorted(files):
                stat = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load_cached(root: Path | None = None, cache_dir: Path | None = None) -> Curriculum:
    root = (root or bundled_root()).resolve()
    cache_dir = cache_dir or user_data_dir() / "cache"
    signature = _signature(root)
    path = cache_dir / f"curriculum-{hashlib.sha256(str(root).encode()).hexdigest()[:16]}.pickle"
    cached = _read(path)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == signature and isinstance(cached[1], Curriculum):
        return cached[1]
    from trainer.curriculum.loader import load_curriculum  # only on a miss: parsing is what the cache saves

    cur = load_curriculum(root)
    _write(path, (signature, cur))
    return cur


def _read(path: Path) -> object:
    """What the cache file holds, or None when it is missing, too big or unreadable in any way."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            return None
        return pickle.loads(data)
    except Exception:  # a garbled pickle raises almost anything (MemoryError from a 17-byte file
        return None  # claiming a huge length, KeyError, RecursionError ...): every one means "rebuild"


def _write(path: Path, value: object) -> None:
    """Write under ``<name>.<pid>.tmp`` and rename into place; a write that fails is given up silently."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        _remove_stale_temporaries(private_data_dir(path.parent))
        with temporary.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):  # no folder to remove it from (LPIC3_HOME names a file ...)
            temporary.unlink(missing_ok=True)


def _remove_stale_temporaries(cache_dir: Path) -> None:
    """Remove temporary files whose writer is gone (killed mid-write), including older lpic3's ``tmp*.tmp``."""
    for leftover in cache_dir.glob("*.tmp"):
        pid = leftover.suffixes[-2][1:] if len(leftover.suffixes) > 1 else ""
        if not (pid.isdigit() and _alive(int(pid))):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
