"""Durable intake: a platform update is stored before it is acknowledged, handled from here.

Telegram does not redeliver an update once its webhook got a 200 or its getUpdates offset moved
past it, so the update is committed here first. A row is "handled" once its handler finished;
its payload is cleared then (nothing personal stays), the id stays a day for deduplication:
the same update_id delivered twice (a webhook retry, a second instance) is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from functools import cache, partial

from sqlalchemy import String, bindparam, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage import driversql
from bot.storage.db import Database
from bot.storage.schema import telegram_inbox, utcnow

log = logging.getLogger(__name__)

KEEP_IDS = dt.timedelta(days=1)  # handled ids kept this long to refuse redeliveries


class Inbox:
    def __init__(self, db: Database):
        self.db = db
        # Under load many updates finish, or begin their reply, in the same event-loop turn:
        # one commit serves all their marks.
        self._marks = _Marks(self._write_marks)

    async def add(self, items: list[tuple[int, str]]) -> set[int]:
        """Store (update_id, JSON) pairs in one transaction; the ids that were new.

        An id already stored (handled or not) is a redelivery: not new, not stored again."""
        if not items:
            return set()
        now = utcnow()
        if self.db.is_sqlite:
            return await self.db.run_sync(lambda conn: _sqlite_add(conn, items, now))
        rows = [{"update_id": i, "payload": p, "received_at": now} for i, p in items]
        stmt = (
            self.db.insert(telegram_inbox)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(telegram_inbox.c.update_id)
        )
        return await self.db.run_sync(lambda conn: set(conn.execute(stmt).scalars()))

    async def done(self, update_ids: list[int]) -> None:
        """Mark handled and drop the payload (the reply is sent; nothing personal is kept)."""
        await self._marks.run(DONE, update_ids)

    async def sending(self, update_id: int) -> None:
        """Its first reply is about to go out (returns once that is committed).

        Marks asked for in the same event-loop turn share one commit (one call into SQLite's
        thread instead of one per update: most of the intake's CPU). Those replies then leave
        in the next turn, each right after the others' request building; a SIGKILL in that
        moment loses them (they are never answered twice), as it loses a lone one."""
        await self._marks.run(SENDING, [update_id])

    async def _write_marks(self, sending: list[int], done: list[int]) -> None:
        """Both kinds of marks in one transaction: one call into SQLite's thread
        (Database.run_sync; through the async engine one mark took ~5 hops)."""
        t, now = telegram_inbox.c, utcnow()
        if self.db.is_sqlite and sqlite_has_json():
            # In aiosqlite's thread, not on the loop's (run_now) when idle: measured with
            # bench_telegram_kill.py, marks committed at once left more replies begun and not yet
            # delivered at a SIGKILL (lost 5 and 9 of 600, against 0-1 this way).
            await self.db.run_sync(partial(_sqlite_marks, sending=sending, done=done, now=now))
            return
        stmts = []
        if sending:
            stmts.append(
                update(telegram_inbox).where(t.update_id.in_(sending)).values(sending_at=now)
            )
        if done:
            stmts.append(
                update(telegram_inbox)
                .where(t.update_id.in_(done), t.handled_at.is_(None))
                .values(handled_at=now, payload=None)
            )

        def write(conn) -> None:
            for stmt in stmts:
                conn.execute(stmt)

        await self.db.run_sync(write)

    async def unhandled(self) -> list[tuple[int, str]]:
        """Stored, not handled, no reply begun (the process stopped first), oldest first.

        Rows whose reply had begun are marked handled instead, and counted in the log."""
        t = telegram_inbox.c
        q = select(t.update_id, t.payload, t.sending_at).where(t.handled_at.is_(None))
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(q.order_by(t.update_id))).all()
        begun = [i for i, _, s in rows if s is not None]
        if begun:
            log.warning(
                "telegram: %d update(s) were being answered at a stop; not again", len(begun)
            )
            await self.done(begun)
        return [(i, p) for i, p, s in rows if s is None]

    async def adopt(self, older_than: float) -> list[tuple[int, str]]:
        """Several instances: updates stored over `older_than` seconds ago and never handled
        (their instance died after the 200), claimed for this instance, oldest first.

        A claim re-stamps received_at under FOR UPDATE SKIP LOCKED, so two live instances never
        take the same update, and the live instance still handling a fresh one keeps it. One
        whose reply had begun is marked handled instead (never answered twice)."""
        t = telegram_inbox.c
        cutoff = utcnow() - dt.timedelta(seconds=older_than)
        stale = (
            select(t.update_id)
            .where(t.handled_at.is_(None), t.received_at < cutoff)
            .order_by(t.update_id)
            .limit(100)
            .with_for_update(skip_locked=True)
        )
        async with self.db.engine.begin() as conn:
            rows = (
                await conn.execute(
                    update(telegram_inbox)
                    .where(t.update_id.in_(stale.scalar_subquery()))
                    .values(received_at=utcnow())
                    .returning(t.update_id, t.payload, t.sending_at)
                )
            ).all()
        begun = [i for i, _, sending in rows if sending is not None]
        if begun:
            log.warning("telegram: %d update(s) were being answered by a dead instance", len(begun))
            await self.done(begun)
        return sorted((i, p) for i, p, sending in rows if sending is None)

    async def purge(self, keep: dt.timedelta = KEEP_IDS) -> int:
        """Forget handled ids older than `keep`."""
        t = telegram_inbox.c
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                delete(telegram_inbox).where(
                    t.handled_at.is_not(None), t.handled_at < utcnow() - keep
                )
            )
        return res.rowcount or 0


# SQLite: the same writes as driver SQL compiled once (bot.storage.driversql). SQLAlchemy
# compiled a multi-row VALUES afresh for every batch (uncacheable: ~2.5 ms for 30 updates) and
# spent ~0.2 ms of Python per mark statement; the single writer makes a per-row
# INSERT … ON CONFLICT DO NOTHING and its rowcount exactly the RETURNING of the batch form.
# A batch of marks is one UPDATE over the ids given as one JSON array (json_each): one SQLite
# step whatever the count. A row per id (executemany) stepped once per row, giving up the GIL
# at each step in aiosqlite's thread: py-spy had the marks at ~6.5 % of the bot's CPU at ~370
# updates/s. PostgreSQL keeps the Core statements above (several instances insert the same
# ids at once).
_t = telegram_inbox.c
_ADD = sqlite_insert(telegram_inbox).on_conflict_do_nothing(index_elements=["update_id"])
_IDS = select(func.json_each(bindparam("ids", type_=String)).table_valued("value").c.value)
_SENDING = update(telegram_inbox).where(_t.update_id.in_(_IDS))  # + sending_at
# A row already handled keeps its first handled_at (coalesce), rather than `AND handled_at IS
# NULL` in the WHERE: given that term, SQLite's planner walked the handled_at index over every
# unhandled row, testing each against the ids (~880 of them waiting in bench_telegram.py: the
# marks' thread CPU 0.14 s per 2,000 updates; by the primary key alone, 0.09 s).
_DONE = (
    update(telegram_inbox)
    .where(_t.update_id.in_(_IDS))
    .values(  # + at
        payload=None,
        handled_at=func.coalesce(_t.handled_at, bindparam("at", type_=_t.handled_at.type)),
    )
)


@cache
def sqlite_has_json() -> bool:
    """Whether this process's SQLite has its JSON functions (built in since 3.38, compiled in
    by nearly every build before): without json_each the marks take the Core statements."""
    try:
        with contextlib.closing(sqlite3.connect(":memory:")) as conn:
            conn.execute("SELECT value FROM json_each('[1]')").fetchall()
    except sqlite3.Error:
        log.warning("telegram inbox: this SQLite has no JSON functions; marks go through Core")
        return False
    return True


def _sqlite_add(conn, items: list[tuple[int, str]], now: dt.datetime) -> set[int]:
    rows = [{"update_id": i, "payload": p, "received_at": now} for i, p in items]
    counts = driversql.each(conn, _ADD, rows)
    return {update_id for (update_id, _), n in zip(items, counts, strict=True) if n == 1}


def _sqlite_marks(conn, sending: list[int], done: list[int], now: dt.datetime) -> None:
    if sending:
        driversql.execute(conn, _SENDING, [{"ids": json.dumps(sending), "sending_at": now}])
    if done:
        driversql.execute(conn, _DONE, [{"ids": json.dumps(done), "at": now}])


SENDING, DONE = 0, 1


class _Marks:
    """Marks asked for while a write is being prepared or runs go in one write; each caller
    returns once the write holding its ids is committed (and raises if it failed)."""

    def __init__(self, write: Callable[[list[int], list[int]], Awaitable[None]]):
        self.write = write
        self._ids: tuple[list[int], list[int]] = ([], [])
        self._waiters: list[asyncio.Future] = []
        self._task: asyncio.Task | None = None

    async def run(self, kind: int, ids: list[int]) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._ids[kind].extend(ids)
        self._waiters.append(fut)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())
        await fut

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the callers of this event-loop turn join
        while self._waiters:
            (sending, done), waiters = self._ids, self._waiters
            self._ids, self._waiters = ([], []), []
            try:
                await self.write(sending, done)
            except Exception as e:
                for f in waiters:
                    if not f.done():
                        f.set_exception(e)
                continue
            for f in waiters:
                if not f.done():
                    f.set_result(None)
