"""Writes a resident waits for, and the write-behind's batches, cost the one connection little:
subscribes of the same moment share one commit (each durable before its caller hears so, a bad
one failing only itself), and on SQLite a batch of rows goes out as a few multi-row INSERTs, not
one step per row."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time

import pytest
from sqlalchemy import func, select

from bot.storage import Database
from bot.storage.schema import subscriptions, wechat_replies
from bot.storage.subscriptions import SubscriptionRepo
from bot.storage.wechat import WeChatDedupe
from bot.storage.writebehind import MAX_ROWS_INLINE


def count_transactions(db) -> list[int]:
    """How many writes each transaction of db.writes carried (made here or in the thread)."""
    sizes: list[int] = []

    async def run_sync(fn):
        result = await db.run_sync(fn)
        sizes.append(len(result) if isinstance(result, list) else 1)
        return result

    def run_now(fn):
        done, result = db.run_now(fn)
        if done:
            sizes.append(1)
        return done, result

    db.writes.db = type(
        "Counted", (), {"run_sync": staticmethod(run_sync), "run_now": staticmethod(run_now)}
    )()
    return sizes


async def _subscribed(db) -> set[str]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(subscriptions.c.user_key))).scalars())


async def test_subscribes_of_one_moment_share_one_commit_and_each_is_stored(db):
    repo = SubscriptionRepo(db)
    for i in range(20):  # their last-seen rows wait in the write-behind
        repo.seen(f"wx:o{i}", "wechat", f"o{i}")
    sizes = count_transactions(db)
    # SQLite: its one connection busy (a write-behind batch in flight), else each would be
    # committed at once, here (next test). PostgreSQL: they queue together anyway.
    busy = db.engine.connect() if db.is_sqlite else contextlib.nullcontext()
    async with busy:
        asking = [asyncio.ensure_future(repo.subscribe(f"wx:o{i}", 9)) for i in range(20)]
        await asyncio.sleep(0.05)
        if db.is_sqlite:
            assert not any(a.done() for a in asking)  # none says "subscribed" before its commit
    results = await asyncio.gather(*asking)
    assert results == [True] * 20
    # SQLite: one transaction, one commit. PostgreSQL: each subscribe its own two statements,
    # each committed alone (no shared transaction: it only added BEGIN and COMMIT).
    assert sizes == ([20] if db.is_sqlite else [])
    # Durable when subscribe returned: nothing flushed, a fresh connection sees all of them,
    # and each one is a recipient (its users row went in the same transaction).
    assert await _subscribed(db) == {f"wx:o{i}" for i in range(20)}
    assert len(await repo.recipients(9)) == 20
    assert await repo.subscribe("wx:o3", 9) is False  # once only


async def test_postgresql_a_subscribe_is_its_statements_alone_no_begin(db):
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: on SQLite subscribes share a transaction (test above)")
    repo = SubscriptionRepo(db)
    async with db.engine.connect() as conn:  # the pool's one connection so far
        driver = (await conn.get_raw_connection()).driver_connection
    sent = []
    driver.add_query_logger(lambda q: sent.append(q.query.split(" (")[0]))
    repo.seen("wx:oA", "wechat", "oA")  # queued: written first, by the subscribe
    assert await repo.subscribe("wx:oA", 4) is True
    assert sent == ["INSERT INTO users", "INSERT INTO subscriptions"]
    assert await repo.subscribe("wx:oA", 4) is False  # already there: counted 0
    assert sent[2:] == ["INSERT INTO subscriptions"]
    assert await repo.recipients(4) == [("wx:oA", "wechat", "oA")]


async def test_a_failing_write_fails_its_own_caller_only(db):
    repo = SubscriptionRepo(db)
    db.run_now = lambda fn: (False, None)  # all three in one shared transaction

    def broken(conn):
        conn.execute(subscriptions.insert().values(user_key="wx:oBad", project=1))
        conn.execute(subscriptions.insert().values(user_key="wx:oBad", project=1))  # duplicate

    async def bad():
        return await db.writes.run(broken)

    outcomes = await asyncio.gather(
        repo.subscribe("wx:oA", 4), bad(), repo.subscribe("wx:oB", 4), return_exceptions=True
    )
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], Exception)
    # The shared transaction was rolled back and each write made again alone: the good ones
    # are stored, nothing of the bad one is (not even its first row).
    assert await _subscribed(db) == {"wx:oA", "wx:oB"}


async def test_a_write_behind_batch_is_a_few_multirow_inserts_on_sqlite(db):
    dedupe = WeChatDedupe(db)
    executed = []
    if db.is_sqlite:
        async with db.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection._conn  # sqlite3
        raw.set_trace_callback(executed.append)
    for i in range(120):
        dedupe.remember(f"m:{i}", f"wx:o{i % 7}", f"<xml>reply {i}</xml>")
    await dedupe.flush()
    if db.is_sqlite:
        raw.set_trace_callback(None)
        inserts = [s for s in executed if s.lstrip().upper().startswith("INSERT")]
        # one multi-row INSERT per page of rows (executemany made one step per row: 120)
        assert len(inserts) == -(-120 // MAX_ROWS_INLINE), inserts[:3]
    async with db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(wechat_replies)) == 120
    assert await dedupe.lookup(["m:0", "m:119", "m:120"]) == {
        "m:0": "<xml>reply 0</xml>",
        "m:119": "<xml>reply 119</xml>",
    }
    dedupe.remember("m:0", "wx:o0", "<xml>another</xml>")  # the first answer for a key stays
    await dedupe.flush()
    assert await dedupe.lookup(["m:0"]) == {"m:0": "<xml>reply 0</xml>"}


async def test_on_sqlite_an_idle_connection_commits_a_subscribe_without_a_turn(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    await db.start()
    try:
        repo = SubscriptionRepo(db)
        repo.seen("wx:oNow", "wechat", "oNow")
        asking = repo.subscribe("wx:oNow", 9)
        with pytest.raises(StopIteration) as done:
            asking.send(None)  # ran to its end without once giving the event loop a turn
        assert done.value.value is True
        other = Database(url)  # another connection: it is committed, and they are a recipient
        try:
            assert await SubscriptionRepo(other).recipients(9) == [("wx:oNow", "wechat", "oNow")]
        finally:
            await other.close()
    finally:
        await db.close()


async def test_on_sqlite_another_process_holding_the_lock_never_blocks_the_loop(tmp_path):
    path = tmp_path / "bot.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.start()
    cli = sqlite3.connect(path, isolation_level=None)  # e.g. `python -m bot progress`
    try:
        repo = SubscriptionRepo(db)
        cli.execute("BEGIN IMMEDIATE")  # holds the write lock
        start = time.perf_counter()
        asking = asyncio.ensure_future(repo.subscribe("wx:oWait", 9))
        await asyncio.sleep(0.2)
        assert time.perf_counter() - start < 0.5  # the loop kept turning meanwhile
        assert not asking.done()  # waiting in the driver's thread (busy_timeout), not here
        cli.execute("COMMIT")
        assert await asking is True
        assert await _subscribed(db) == {"wx:oWait"}
    finally:
        cli.close()
        await db.close()
