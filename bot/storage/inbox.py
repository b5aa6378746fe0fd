"""Durable intake: a platform update is stored before it is acknowledged, handled from here.

Telegram does not redeliver an update once its webhook got a 200 or its getUpdates offset moved
past it, so the update is committed here first. A row is "handled" once its handler finished;
its payload is cleared then (nothing personal stays), the id stays a day for deduplication:
the same update_id delivered twice (a webhook retry, a second instance) is stored once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.db import Database
from bot.storage.schema import telegram_inbox, utcnow

log = logging.getLogger(__name__)

KEEP_IDS = dt.timedelta(days=1)  # handled ids kept this long to refuse redeliveries


class Inbox:
    def __init__(self, db: Database):
        self.db = db
        self._insert = sqlite_insert if db.is_sqlite else pg_insert
        # Under load many updates finish in the same moment: one commit serves them all.
        self._done = _Batch(self._mark_done)

    async def add(self, items: list[tuple[int, str]]) -> set[int]:
        """Store (update_id, JSON) pairs in one transaction; the ids that were new.

        An id already stored (handled or not) is a redelivery: not new, not stored again."""
        if not items:
            return set()
        now = utcnow()
        rows = [{"update_id": i, "payload": p, "received_at": now} for i, p in items]
        stmt = (
            self._insert(telegram_inbox)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(telegram_inbox.c.update_id)
        )
        async with self.db.engine.begin() as conn:
            return set((await conn.execute(stmt)).scalars())

    async def done(self, update_ids: list[int]) -> None:
        """Mark handled and drop the payload (the reply is sent; nothing personal is kept)."""
        await self._done.run(update_ids)

    async def sending(self, update_id: int) -> None:
        """Its first reply is about to go out (returns once that is committed).

        Not batched: the reply must leave right after its own commit; a batch would release
        many replies at once and widen the moment a SIGKILL could lose them."""
        await self._mark_sending([update_id])

    async def _mark_done(self, update_ids: list[int]) -> None:
        t = telegram_inbox.c
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(telegram_inbox)
                .where(t.update_id.in_(update_ids), t.handled_at.is_(None))
                .values(handled_at=utcnow(), payload=None)
            )

    async def _mark_sending(self, update_ids: list[int]) -> None:
        t = telegram_inbox.c
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(telegram_inbox)
                .where(t.update_id.in_(update_ids))
                .values(sending_at=utcnow())
            )

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


class _Batch:
    """Ids asked for while a write is being prepared or runs go in one write; each caller
    returns once the write holding its ids is committed (and raises if it failed)."""

    def __init__(self, write: Callable[[list[int]], Awaitable[None]]):
        self.write = write
        self._ids: list[int] = []
        self._waiters: list[asyncio.Future] = []
        self._task: asyncio.Task | None = None

    async def run(self, ids: list[int]) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._ids += ids
        self._waiters.append(fut)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())
        await fut

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the callers of this event-loop turn join
        while self._waiters:
            ids, waiters = self._ids, self._waiters
            self._ids, self._waiters = [], []
            try:
                await self.write(ids)
            except Exception as e:
                for f in waiters:
                    if not f.done():
                        f.set_exception(e)
                continue
            for f in waiters:
                if not f.done():
                    f.set_result(None)
