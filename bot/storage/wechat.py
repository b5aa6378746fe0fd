"""WeChat's 5-second rule: each incoming message is answered once, retries get the stored reply.

WeChat retries a request it got no answer to within 5 s (three tries in all), possibly to another
process behind the same URL, so the claim lives in the database, not in memory.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, String, Table, Text, and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.db import MIGRATIONS, USER_TABLES, Database, Migration, create_tables, metadata
from bot.storage.db import utcnow as _now

DEDUPE_TTL = 15 * 60  # seconds; WeChat's retries all come within about 15 s
STALE_CLAIM = 10.0  # seconds; a claim older than this with no reply belongs to a dead process

wechat_replies = Table(
    "wechat_replies",
    metadata,
    Column("key", String(128), primary_key=True),  # m:<MsgId> or e:<openid>:<CreateTime>:...
    Column("user_key", String(128), nullable=False, index=True),
    Column("reply", Text, nullable=True),  # the rendered reply; NULL while being computed
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

MIGRATIONS.append(Migration("0100_wechat_dedupe", create_tables(wechat_replies)))
USER_TABLES.append(wechat_replies)  # stored replies can mention a user's subscriptions


class WeChatDedupe:
    """Claim a message before answering it; store the reply so retries get the same one."""

    def __init__(self, db: Database, ttl: float = DEDUPE_TTL, stale_claim: float = STALE_CLAIM):
        self.db = db
        self.ttl = ttl
        self.stale_claim = stale_claim
        self._insert = sqlite_insert if db.is_sqlite else pg_insert

    async def claim(self, key: str, user_key: str) -> bool:
        """True if this caller must compute the answer; False if another one has or does."""
        now = _now()
        stmt = (
            self._insert(wechat_replies)
            .values(key=key, user_key=user_key, reply=None, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self.db.engine.begin() as conn:
            if (await conn.execute(stmt)).rowcount:
                return True
            # Take over a claim left without a reply by a process that died (or expired rows).
            t = wechat_replies.c
            stale = and_(
                t.key == key,
                (
                    (t.reply.is_(None))
                    & (t.created_at < now - dt.timedelta(seconds=self.stale_claim))
                )
                | (t.created_at < now - dt.timedelta(seconds=self.ttl)),
            )
            res = await conn.execute(
                update(wechat_replies).where(stale).values(reply=None, created_at=now)
            )
            return bool(res.rowcount)

    async def reply_of(self, key: str) -> str | None:
        """The stored reply, or None while it is still being computed (or unknown)."""
        async with self.db.engine.connect() as conn:
            return await conn.scalar(
                select(wechat_replies.c.reply).where(wechat_replies.c.key == key)
            )

    async def store(self, key: str, reply: str) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(wechat_replies).where(wechat_replies.c.key == key).values(reply=reply)
            )

    async def purge(self) -> int:
        """Delete entries older than the TTL; returns how many."""
        cutoff = _now() - dt.timedelta(seconds=self.ttl)
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                delete(wechat_replies).where(wechat_replies.c.created_at < cutoff)
            )
            return res.rowcount or 0


async def last_seen(db: Database, user_key: str) -> dt.datetime | None:
    """When the user last wrote to us (None if unknown): WeChat's 48-hour window starts there."""
    from bot.storage.subscriptions import users

    async with db.engine.connect() as conn:
        value = await conn.scalar(select(users.c.last_seen).where(users.c.user_key == user_key))
    if value is not None and value.tzinfo is None:  # SQLite returns naive UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value
