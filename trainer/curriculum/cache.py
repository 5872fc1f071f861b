"""A pickled copy of the loaded curriculum, so the TUI opens without parsing every file again.

The cache is keyed by the path, size and modification time of every content file and by the
program's version: any edit, added or removed file makes it stale and it is rebuilt. ``lint`` and
the other checks never use it; a cache that cannot be read or written is simply ignored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from trainer import __version__
from trainer.curriculum.model import Curriculum
from trainer.paths import bundled_root, user_data_dir


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
    try:
        with path.open("rb") as handle:
            stored_signature, cur = pickle.load(handle)
        if stored_signature == signature and isinstance(cur, Curriculum):
            return cur
    except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError, ImportError):
        pass
    from trainer.curriculum.loader import load_curriculum  # only on a miss: parsing is what the cache saves

    cur = load_curriculum(root)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, delete=False, suffix=".tmp") as handle:
            pickle.dump((signature, cur), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError:
        pass
    return cur
