"""The curriculum cache never stops the trainer: an unreadable cache is rebuilt, and temporary files
left by a killed writer do not pile up."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.curriculum.cache import load_cached
from trainer.curriculum.model import Curriculum

# Pickle protocol 4, then BINBYTES8 claiming 2**60 bytes: 17 bytes that made the unpickler ask for
# exabytes (MemoryError) before the cache read it as garbage.
HUGE_CLAIM = b"\x80\x04\x8e" + (2**60).to_bytes(8, "little") + b"\x00" * 6
GARBLED = {
    "huge length": HUGE_CLAIM,
    "truncated": b"\x80\x05\x95\xff\xff\xff\x00\x00\x00\x00\x00.",
    "not a pickle": b"garbage",
    "wrong value": pickle.dumps(("signature", "not a curriculum")),
    "empty": b"",
}


def cache_file(cache: Path) -> Path:
    [path] = [p for p in cache.iterdir() if p.suffix == ".pickle"]
    return path


@pytest.fixture(scope="module")
def cache_name(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The name the trainer gives the bundled curriculum's cache file."""
    cache = tmp_path_factory.mktemp("cache")
    load_cached(cache_dir=cache)
    return cache_file(cache).name


@pytest.mark.parametrize("content", GARBLED.values(), ids=GARBLED.keys())
def test_an_unreadable_cache_is_rebuilt(content: bytes, cache_name: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / cache_name).write_bytes(content)
    cur = load_cached(cache_dir=cache)
    assert isinstance(cur, Curriculum) and cur.questions
    _, rebuilt = pickle.loads(cache_file(cache).read_bytes())  # written again, whole
    assert isinstance(rebuilt, Curriculum) and len(rebuilt.questions) == len(cur.questions)


def test_temporary_files_of_dead_writers_are_removed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    old_style = cache / "tmpk3xq9d1a.tmp"  # what a killed NamedTemporaryFile write left behind
    dead = cache / f"curriculum-0123456789abcdef.pickle.{dead_pid}.tmp"
    live = cache / f"curriculum-0123456789abcdef.pickle.{os.getppid()}.tmp"  # a writer still at work
    for leftover in (old_style, dead, live):
        leftover.write_bytes(b"half a pickle")
    load_cached(cache_dir=cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([cache_file(cache).name, live.name])
