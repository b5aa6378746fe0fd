"""One process per SQLite file: a second `run` on the same file refuses to start.

SQLite is the single-process default: dialogue context, pages, answer-once state and the send
budget live in the process, so two processes on one file would answer WeChat retries twice and
both spend the whole Telegram budget. Several instances need PostgreSQL and Redis instead.
The lock is an flock on <file>.lock, released by the kernel when the process ends (even killed).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """Another process serves this SQLite file."""


class FileLock:
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl  # POSIX; the bot's servers are Linux

        # A fresh checkout has no data/ yet: the database would make it, but the lock comes first.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                f"another process (pid {holder}) is already serving {self.path.with_suffix('')}; "
                "stop it first, or run several instances on PostgreSQL with redis.url set"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def sqlite_lock(database_url: str) -> FileLock | None:
    """The lock for a SQLite file database (None for PostgreSQL or an in-memory SQLite)."""
    u = make_url(database_url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    path = Path(u.database)
    return FileLock(path.with_name(path.name + ".lock"))
