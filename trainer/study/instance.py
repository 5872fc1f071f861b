"""One trainer window per data folder: a second one would keep its own copy of an open exam.

The running TUI holds an exclusive ``flock`` on ``instance.lock`` in the data folder. The kernel
releases it when the process ends however it ends (``kill -9`` included), so a stale lock cannot
keep the learner out. The file also holds the holder's pid, to say which process has it open.
Headless commands do not take the lock: reading progress while the trainer is open is fine.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trainer.errors import StoreError
from trainer.paths import private_data_dir

LOCK_NAME = "instance.lock"


@contextmanager
def only_instance(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's instance lock for the ``with`` block, or raise StoreError naming the
    pid that holds it."""
    path = private_data_dir(data_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot use the lock file {path}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise StoreError(
                f"the trainer is already open in another window{pid} on {data_dir}; use that window or quit it first"
            ) from None
        except OSError as exc:  # a file system without locks
            raise StoreError(f"cannot lock {path}: {exc.strerror or exc}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
