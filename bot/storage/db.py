"""The engine, applying bot.storage.schema's migrations, and the per-user delete /forget uses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, delete, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool

from bot.storage.batchread import GatheredReads
from bot.storage.batchwrite import GatheredWrites
from bot.storage.schema import MIGRATIONS, USER_TABLES, metadata, schema_migrations, utcnow
from bot.storage.writebehind import WriteBehind

__all__ = ["Database", "metadata", "utcnow"]  # metadata, utcnow: for older imports

log = logging.getLogger(__name__)
T = TypeVar("T")


class Database:
    def __init__(self, url: str):
        self.url = url
        u = make_url(url)
        self.is_sqlite = u.get_backend_name() == "sqlite"
        if self.is_sqlite and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        if self.is_sqlite:
            # One connection per process: SQLite has one writer anyway, and two pooled
            # connections that both upgrade read -> write fail with "database is locked"
            # instead of waiting. Operations queue for the connection instead (each is short).
            kwargs = {
                "poolclass": AsyncAdaptedQueuePool,
                "pool_size": 1,
                "max_overflow": 0,
                "pool_timeout": 60,
                # The reset below instead: it costs a turn of the driver's thread only when a
                # transaction is really left open (every checkin would pay one otherwise).
                "pool_reset_on_return": None,
            }
        else:
            kwargs = {"pool_size": 10, "max_overflow": 10}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine.pool, "reset", _sqlite_reset)
        # Bookkeeping rows (last seen, stored replies) are written here, after the answer.
        self.later = WriteBehind(self, multirow=self.is_sqlite)
        # Reads an answer awaits, run together with the others of the same moment.
        self.reads = GatheredReads(self)
        # Writes a resident waits for (subscribing), committed together with those of the moment.
        self.writes = GatheredWrites(self)

    async def start(self) -> None:
        """Apply pending migrations, in schema.MIGRATIONS order."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                # One process migrates at a time; the others wait here.
                await conn.execute(text("SELECT pg_advisory_xact_lock(52830917)"))
            await conn.run_sync(lambda s: schema_migrations.create(s, checkfirst=True))
            done = set((await conn.execute(select(schema_migrations.c.id))).scalars())
            for m in MIGRATIONS:
                if m.id not in done:
                    log.info("applying migration %s", m.id)
                    await m.up(conn)
                    await conn.execute(
                        schema_migrations.insert().values(id=m.id, applied_at=utcnow())
                    )

    async def applied_migrations(self) -> list[str]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(schema_migrations.c.id))).scalars())

    async def forget_user(self, user_key: str) -> int:
        """Delete every row about one user, in every table that holds user data."""
        await self.later.flush()  # a queued row must not bring the user back after this
        removed = 0
        async with self.engine.begin() as conn:
            for table in USER_TABLES:
                res = await conn.execute(delete(table).where(table.c.user_key == user_key))
                removed += res.rowcount or 0
        return removed

    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        """fn(connection) in one transaction. On SQLite the whole transaction is one call into
        the driver's thread, so the process's one connection is held for this batch only, not
        for the several event-loop turns that one turn per statement (and commit) would take."""
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                return await conn.run_sync(fn)
        async with self.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection  # aiosqlite.Connection
            # aiosqlite's own queue to its thread (the one API it has for "run this there")
            return await driver._execute(_in_sqlite_thread, driver._conn, fn)

    async def close(self) -> None:
        await self.later.flush()
        await self.engine.dispose()


_SYNC_ENGINES: dict[int, tuple[object, Engine]] = {}  # id(sqlite3 connection) -> its engine


def _in_sqlite_thread(raw, fn):
    """In aiosqlite's thread: a synchronous SQLAlchemy engine over that very sqlite3 connection
    (same dialect, same type handling), one transaction."""
    entry = _SYNC_ENGINES.get(id(raw))
    if entry is None or entry[0] is not raw:
        if len(_SYNC_ENGINES) > 16:  # connections replaced after errors: drop the old ones
            _SYNC_ENGINES.clear()
        engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
        entry = _SYNC_ENGINES[id(raw)] = (raw, engine)
    with entry[1].begin() as conn:
        return fn(conn)


def _sqlite_reset(dbapi_conn, _record, _state) -> None:
    # sqlite3's in_transaction is a flag read, not a call into the driver's thread.
    if dbapi_conn._connection._conn.in_transaction:
        dbapi_conn.rollback()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers and one writer work at once; busy_timeout waits instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
