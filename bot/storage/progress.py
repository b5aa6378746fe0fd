"""Progress entries admins publish (/progress): kept in the database, never in the KB files."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.sql import Executable

from bot.models import ProgressNote
from bot.storage.db import Database
from bot.storage.schema import progress_entries, utcnow

log = logging.getLogger(__name__)

STATUSES = ("未开始", "进行中", "已完成")
# Residents live in China: an entry's date is the date there, whatever the server's zone.
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def local_date(at: dt.datetime) -> dt.date:
    """The date in China of a stored instant."""
    return at.astimezone(LOCAL_TZ).date()


@dataclass(frozen=True)
class ProgressEntry:
    id: int
    project: int
    status: str
    percent: int | None
    note: str
    author: str
    author_id: str
    created_at: dt.datetime

    @property
    def on(self) -> dt.date:
        return local_date(self.created_at)

    def as_note(self) -> ProgressNote:
        return ProgressNote(
            self.project, self.status, self.percent, self.note, self.author, self.on, "admin"
        )


class ProgressRepo:
    """Implements bot.services.ProgressSource: admin entries, oldest first.

    Residents' progress questions read a short-lived per-project cache (a database round trip
    costs more than the rest of the answer); `add` through this repo clears it at once, entries
    written by another process (the CLI) show within `cache_seconds`.

    A busy bot never waits for that read: once an entry is half its age old, the next question
    still gets it and starts a refresh in the background (one per project at a time). Only an
    entry past `cache_seconds` (or none yet) is read on the answer path, by one read that the
    questions of that moment share. Under load the read used to queue behind the write-behind
    on SQLite's one connection, every 10 s, for every resident asking just then.
    """

    def __init__(self, db: Database, cache_seconds: float = 10.0):
        self.db = db
        self.cache_seconds = cache_seconds
        self._cache: dict[int, tuple[float, list[ProgressNote]]] = {}
        self._reading: dict[int, asyncio.Future] = {}  # project -> the read in flight
        self._version: dict[int, int] = {}  # project -> adds through this repo: a read from
        # before the latest add must not put its older list back

    async def add(
        self,
        project: int,
        status: str,
        percent: int | None,
        note: str,
        author: str,
        author_id: str = "",
        at: dt.datetime | None = None,
        also: Sequence[Executable] = (),
    ) -> ProgressEntry:
        """Store an entry; `also` (its audit row) commits in the same transaction or not at all."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        if percent is not None and not 0 <= percent <= 100:
            raise ValueError("percent must be 0..100")
        values = dict(
            project=project,
            status=status,
            percent=percent,
            note=note,
            author=author,
            author_id=author_id,
            created_at=at or utcnow(),
        )
        async with self.db.engine.begin() as conn:
            res = await conn.execute(progress_entries.insert().values(**values))
            new_id = res.inserted_primary_key[0]
            for stmt in also:
                await conn.execute(stmt)
        self._cache.pop(project, None)
        self._reading.pop(project, None)  # a read begun before this commit: not for later askers
        self._version[project] = self._version.get(project, 0) + 1
        return ProgressEntry(id=new_id, **values)

    async def get(self, entry_id: int) -> ProgressEntry | None:
        async with self.db.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(progress_entries).where(progress_entries.c.id == entry_id)
                )
            ).first()
        return ProgressEntry(**row._mapping) if row else None

    async def entries(self, project: int) -> list[ProgressEntry]:
        q = (
            select(progress_entries)
            .where(progress_entries.c.project == project)
            .order_by(progress_entries.c.created_at, progress_entries.c.id)
        )
        async with self.db.engine.connect() as conn:
            return [ProgressEntry(**r._mapping) for r in await conn.execute(q)]

    async def progress_history(self, project: int) -> list[ProgressNote]:
        hit = self._cache.get(project)
        if hit is not None:
            age = time.monotonic() - hit[0]
            if age < self.cache_seconds:
                if age >= self.cache_seconds / 2 and project not in self._reading:
                    self._read(project).add_done_callback(_quiet)  # in the background
                return list(hit[1])
        return list(await asyncio.shield(self._read(project)))

    def _read(self, project: int) -> asyncio.Future:
        """The project's entries read once for everybody asking now; cached when read."""
        fut = self._reading.get(project)
        if fut is None:
            fut = self._reading[project] = asyncio.ensure_future(self._fetch(project))
            fut.add_done_callback(
                lambda f: self._reading.get(project) is f and self._reading.pop(project)
            )
        return fut

    async def _fetch(self, project: int) -> list[ProgressNote]:
        at, version = time.monotonic(), self._version.get(project, 0)
        notes = [e.as_note() for e in await self.entries(project)]
        if self._version.get(project, 0) == version:  # no add since the read began
            self._cache[project] = (at, notes)
        return notes


def _quiet(fut: asyncio.Future) -> None:
    """A failed background refresh: the cached list stays; past its age a read asks again."""
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("progress refresh failed: %s", fut.exception())
