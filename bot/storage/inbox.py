"""Durable intake: a platform update is stored before it is acknowledged, handled from here.

Telegram does not redeliver an update once its webhook got a 200 or its getUpdates offset moved
past it, so the update is committed here first. A row is "handled" once its handler finished;
its payload is cleared then (nothing personal stays), the id stays a day for deduplication:
the same update_id delivered twice (a webhook retry, a second instance) is stored once.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import BigInteger, Column, DateTime, Table, Text, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.db import MIGRATIONS, Database, Migration, create_tables, metadata, utcnow

log = logging.getLogger(__name__)

KEEP_IDS = dt.timedelta(days=1)  # handled ids kept this long to refuse redeliveries

telegram_inbox = Table(
    "telegram_inbox",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("payload", Text, nullable=True),  # the update's JSON until handled, then NULL
    Column("received_at", DateTime(timezone=True), nullable=False),
    # set just before the first reply goes out: after a SIGKILL such an update may have been
    # answered already, and is not answered again (a repeat is worse than the rare loss)
    Column("sending_at", DateTime(timezone=True), nullable=True),
    Column("handled_at", DateTime(timezone=True), nullable=True, index=True),
)

MIGRATIONS.append(Migration("0400_telegram_inbox", create_tables(telegram_inbox)))


class Inbox:
    def __init__(self, db: Database):
        self.db = db
        self._insert = sqlite_insert if db.is_sqlite else pg_insert

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
        t = telegram_inbox.c
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(telegram_inbox)
                .where(t.update_id.in_(update_ids), t.handled_at.is_(None))
                .values(handled_at=utcnow(), payload=None)
            )

    async def sending(self, update_id: int) -> None:
        """Its first reply is about to go out."""
        t = telegram_inbox.c
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(telegram_inbox).where(t.update_id == update_id).values(sending_at=utcnow())
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
