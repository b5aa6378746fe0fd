"""The engine, applying bot.storage.schema's migrations, and the per-user delete /forget uses."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, delete, event, exc, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool
from sqlalchemy.sql import Executable

from bot.storage import driversql
from bot.storage.batchread import GatheredReads
from bot.storage.batchwrite import GatheredWrites
from bot.storage.schema import MIGRATIONS, USER_TABLES, metadata, schema_migrations, utcnow
from bot.storage.writebehind import MAX_ROWS_INLINE, WriteBehind

__all__ = ["Database", "metadata", "utcnow"]  # metadata, utcnow: for older imports

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000  # SQLite: how long a statement waits for another process's write lock


class Failed(NamedTuple):
    """A statement of Database.write_rows whose rows were not written, and why."""

    statement: Executable
    rows: list[dict]
    error: Exception


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
        self.dialect = self.engine.dialect
        # SQLite: the process's one connection (aiosqlite's), and how many run_sync batches are
        # in its thread's queue without a checkout (run_sync, run_now).
        self._aiosqlite = None
        self._in_thread = 0
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "connect", self._keep_driver)
            event.listen(self.engine.sync_engine.pool, "reset", _sqlite_reset)
        # Bookkeeping rows (last seen, stored replies) are written here, after the answer.
        self.later = (
            WriteBehind(self, max_rows=MAX_ROWS_INLINE) if self.is_sqlite else WriteBehind(self)
        )
        # Reads an answer awaits, run together with the others of the same moment.
        self.reads = GatheredReads(self)
        # SQLite: writes a resident waits for (subscribing), committed with those of the moment.
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

    def insert(self, table: Table):
        """INSERT into `table` in this database's dialect: the one with on_conflict_do_…"""
        return (sqlite_insert if self.is_sqlite else pg_insert)(table)

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
        driver = self._aiosqlite
        if driver is not None and driver._connection is not None and not self._checked_out():
            # Nobody is inside a transaction of their own (that is what a checkout is for): this
            # one goes straight into the driver's queue, where it runs whole, and a checkout
            # made meanwhile queues its statements behind it. The connection is then busy only
            # while the thread works: with a checkout it stayed taken until the event loop had
            # taken the result and checked it in, two more turns of a busy loop (~70 ms held
            # per batch with 50 residents at once, for 1-30 ms of work).
            self._in_thread += 1
            try:
                return await driver._execute(_in_sqlite_thread, driver._conn, fn)
            finally:
                self._in_thread -= 1
        async with self.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection  # aiosqlite.Connection
            # aiosqlite's own queue to its thread (the one API it has for "run this there")
            return await driver._execute(_in_sqlite_thread, driver._conn, fn)

    async def write_rows(self, batch: list[tuple[Executable, list[dict]]]) -> list[Failed]:
        """Rows for each statement, written now -> the statements that failed, with their rows
        and error (nothing of those is stored). SQLite: all statements in one transaction
        (on the loop's thread when the connection is idle, run_now), so a failure fails all.
        PostgreSQL: each statement's rows one asyncpg executemany, atomic on its own and one
        round trip, no BEGIN/COMMIT (bot.storage.driversql.execute_asyncpg)."""
        if self.is_sqlite:
            write = partial(_execute_all, batch=batch)
            try:
                if not self.run_now(write)[0]:
                    await self.run_sync(write)
            except Exception as e:
                return [Failed(statement, rows, e) for statement, rows in batch]
            return []
        failed: list[Failed] = []
        tried = 0
        try:
            async with self._asyncpg() as (conn, driver):
                for statement, rows in batch:
                    tried += 1
                    try:
                        if not await driversql.execute_asyncpg(
                            driver, self.dialect, statement, rows
                        ):
                            await conn.execute(statement, rows)  # a shape it leaves to Core
                            await conn.commit()
                    except Exception as e:
                        failed.append(Failed(statement, rows, e))
                        if driver.is_closed():  # lost (invalidated): the rest untried
                            raise
                        if conn.in_transaction():
                            await conn.rollback()
        except Exception as e:  # no connection (the database down, restarting) or it broke
            failed += [Failed(statement, rows, e) for statement, rows in batch[tried:]]
        return failed

    async def write_in_order(self, steps: list[tuple[Executable, dict]]) -> int:
        """Rows a caller waits for (a subscribe), each durable when this returns, written in
        order -> the last statement's rowcount. SQLite: in one transaction shared with the other
        writes of the moment (GatheredWrites: its one connection, one commit). PostgreSQL: each
        statement committed on its own, one round trip each, no BEGIN/COMMIT (its pool has
        connections enough; a shared transaction there only added round trips)."""
        if self.is_sqlite:
            batch = [(statement, [row]) for statement, row in steps]
            return await self.writes.run(partial(_execute_all, batch=batch))
        count = 0
        async with self._asyncpg() as (conn, driver):
            for statement, row in steps:
                count = await driversql.execute_one_asyncpg(driver, self.dialect, statement, row)
                if count is None:  # a shape it leaves to Core
                    count = (await conn.execute(statement, [row])).rowcount
                    await conn.commit()
        return count

    @contextlib.asynccontextmanager
    async def _asyncpg(self):
        """PostgreSQL: a pooled connection and its asyncpg connection (SQLAlchemy's, with its
        type codecs). One found closed after an error is invalidated: the pool must not hand
        it out again."""
        async with self.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            try:
                yield conn, driver
            except BaseException:
                if driver.is_closed():
                    await conn.invalidate()
                raise

    def run_now(self, fn: Callable[[Connection], T]) -> tuple[bool, T | None]:
        """SQLite, when nobody holds the process's one connection: fn(connection) in one
        transaction right here, on the event loop's thread -> (True, its result). Otherwise, or
        when another process holds the write lock: (False, None), nothing done; use run_sync.

        For the short transactions a running bot makes (a subscribe ~0.5 ms, a write-behind
        batch or a question-log page ~3-5 ms of CPU). In aiosqlite's thread the same work
        fought the busy event loop for the GIL: measured with 50 residents at once, a batch of
        3-5 ms CPU took 17-36 ms there, and a subscribe waited behind it and then four turns of
        the loop (the hand-off, the thread's answer, the caller's wake-up; ~10 ms each): p99
        ~180 ms. Done here the loop pauses for the work itself and nothing waits. Nothing else
        can use the connection meanwhile: this runs without yielding, the pool has it checked
        in, and no batch is queued for the driver's thread."""
        driver = self._aiosqlite
        if driver is None or driver._connection is None or self._checked_out() or self._in_thread:
            return False, None
        raw = driver._conn
        try:
            raw.execute("PRAGMA busy_timeout=0")  # never block the loop on another process
            try:
                return True, _in_sqlite_thread(raw, fn)
            finally:
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except (sqlite3.OperationalError, exc.OperationalError):  # locked by another process
            return False, None  # (the CLI): run_sync waits for it in the driver's thread
        except (sqlite3.ProgrammingError, exc.ProgrammingError):  # closed (replaced after an error)
            return False, None

    def _checked_out(self) -> int:
        return self.engine.pool.checkedout()

    def _keep_driver(self, dbapi_conn, _record) -> None:
        self._aiosqlite = dbapi_conn._connection  # the process's one aiosqlite.Connection

    async def close(self) -> None:
        await self.later.flush()
        await self.engine.dispose()


def _execute_all(conn, batch) -> int:
    """SQLite: every statement's rows in the caller's one transaction -> the last one's count."""
    count = 0
    for statement, rows in batch:
        count = driversql.execute(conn, statement, rows)
    return count


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
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
