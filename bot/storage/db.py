"""The engine, applying bot.storage.schema's migrations, and the per-user delete /forget uses."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import delete, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from bot.storage.schema import MIGRATIONS, USER_TABLES, metadata, schema_migrations, utcnow

__all__ = ["Database", "metadata", "utcnow"]  # metadata, utcnow: for older imports

log = logging.getLogger(__name__)


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
            }
        else:
            kwargs = {"pool_size": 10, "max_overflow": 10}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

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
        removed = 0
        async with self.engine.begin() as conn:
            for table in USER_TABLES:
                res = await conn.execute(delete(table).where(table.c.user_key == user_key))
                removed += res.rowcount or 0
        return removed

    async def close(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers and one writer work at once; busy_timeout waits instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
