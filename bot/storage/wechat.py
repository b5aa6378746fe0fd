"""WeChat's 5-second rule: each message is answered once; retries get the stored reply.

WeChat retries a request it got no answer to within 5 s, up to three tries, and the retry may
reach another process behind the same URL or a restarted one: so replies are kept in the
database, keyed by MsgId (events: FromUserName+CreateTime), for a while.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import delete, select

from bot.storage.db import Database
from bot.storage.schema import users, wechat_replies
from bot.storage.schema import utcnow as _now

log = logging.getLogger(__name__)

DEDUPE_TTL = 15 * 60  # seconds; WeChat's retries all come within about 15 s
BATCH_MAX = 500  # keys looked up per query at most
GATHER_TURNS = 3  # event-loop turns a lookup waits for others to join it


class WeChatDedupe:
    """Replies already produced, by message key. Reads and writes are batched: under load one
    query serves many messages (SQLite has one writer at a time; every round trip costs).

    A retry comes at least 5 s after the first try (that is WeChat's rule), and the database's
    write-behind stores replies within ~0.1 s, so a retry reaching any process finds it stored.
    """

    def __init__(self, db: Database, ttl: float = DEDUPE_TTL):
        self.db = db
        self.ttl = ttl
        # One statement object: the write-behind batches rows by statement.
        self._store = db.insert(wechat_replies).on_conflict_do_nothing(index_elements=["key"])
        self._wanted: dict[str, list[asyncio.Future]] = {}
        self._reader: asyncio.Task | None = None

    async def reply_of(self, key: str) -> str | None:
        """The stored reply, or None if this message was never answered (or expired).

        Lookups made while one is in flight are answered together by a single query."""
        fut = asyncio.get_running_loop().create_future()
        self._wanted.setdefault(key, []).append(fut)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.ensure_future(self._read())
        return await fut

    async def _read(self) -> None:
        # Let requests that arrived in the same event-loop turn join this query (costs no
        # time when idle; under load one query then serves dozens of messages).
        for _ in range(GATHER_TURNS):
            await asyncio.sleep(0)
        while self._wanted:
            batch, self._wanted = self._wanted, {}
            keys = list(batch)
            try:
                found = {}
                for i in range(0, len(keys), BATCH_MAX):
                    found.update(await self.lookup(keys[i : i + BATCH_MAX]))
            except Exception as e:
                for futs in batch.values():
                    for f in futs:
                        if not f.done():
                            f.set_exception(e)
                continue
            for key, futs in batch.items():
                for f in futs:
                    if not f.done():
                        f.set_result(found.get(key))

    async def lookup(self, keys: list[str]) -> dict[str, str]:
        """{key: reply} for those of `keys` answered within the TTL."""
        cutoff = _now() - dt.timedelta(seconds=self.ttl)
        t = wechat_replies.c
        q = select(t.key, t.reply).where(t.key.in_(keys), t.created_at >= cutoff)
        async with self.db.engine.connect() as conn:
            return {k: r for k, r in await conn.execute(q)}

    async def keys_since(self, seconds: float) -> set[str]:
        """Keys of the messages answered in the last `seconds` (by any process)."""
        cutoff = _now() - dt.timedelta(seconds=seconds)
        t = wechat_replies.c
        async with self.db.engine.connect() as conn:
            return set((await conn.execute(select(t.key).where(t.created_at >= cutoff))).scalars())

    def remember(self, key: str, user_key: str, reply: str) -> None:
        """Queue a reply for storage (the next write-behind batch, within ~0.1 s, stores it)."""
        row = {"key": key, "user_key": user_key, "reply": reply, "created_at": _now()}
        self.db.later.put(self._store, key, row, replace=False)  # the first answer stays

    async def flush(self) -> None:
        """Wait until every queued reply is stored."""
        await self.db.later.flush()

    async def store_many(self, rows: list[dict]) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(self._store, rows)

    async def purge(self) -> int:
        """Delete entries older than the TTL; returns how many."""
        cutoff = _now() - dt.timedelta(seconds=self.ttl)
        t = wechat_replies.c
        async with self.db.engine.begin() as conn:
            return (
                await conn.execute(delete(wechat_replies).where(t.created_at < cutoff))
            ).rowcount or 0


async def last_seen(db: Database, user_key: str) -> dt.datetime | None:
    """When the user last wrote to us (None if unknown): WeChat's 48-hour window starts there."""
    async with db.engine.connect() as conn:
        value = await conn.scalar(select(users.c.last_seen).where(users.c.user_key == user_key))
    return value
