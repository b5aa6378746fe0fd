"""Writes a resident waits for, and the write-behind's batches, cost the one connection little:
subscribes of the same moment share one commit (each durable before its caller hears so, a bad
one failing only itself), and on SQLite a batch of rows goes out as one multi-row INSERT, not one
step per row."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.storage.schema import subscriptions, wechat_replies
from bot.storage.subscriptions import SubscriptionRepo
from bot.storage.wechat import WeChatDedupe


def count_transactions(db) -> list[int]:
    """How many writes each shared transaction of db.writes carried."""
    sizes: list[int] = []
    run_sync = db.run_sync

    async def counted(fn):
        result = await run_sync(fn)
        sizes.append(len(result) if isinstance(result, list) else 1)
        return result

    db.writes.db = type("Counted", (), {"run_sync": staticmethod(counted)})()
    return sizes


async def _subscribed(db) -> set[str]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(subscriptions.c.user_key))).scalars())


async def test_subscribes_of_one_moment_share_one_commit_and_each_is_stored(db):
    repo = SubscriptionRepo(db)
    for i in range(20):  # their last-seen rows wait in the write-behind
        repo.seen(f"wx:o{i}", "wechat", f"o{i}")
    sizes = count_transactions(db)
    results = await asyncio.gather(*(repo.subscribe(f"wx:o{i}", 9) for i in range(20)))
    assert results == [True] * 20
    assert sizes == [20]  # one transaction, one commit
    # Durable when subscribe returned: nothing flushed, a fresh connection sees all of them,
    # and each one is a recipient (its users row went in the same transaction).
    assert await _subscribed(db) == {f"wx:o{i}" for i in range(20)}
    assert len(await repo.recipients(9)) == 20
    assert await repo.subscribe("wx:o3", 9) is False  # once only


async def test_a_failing_write_fails_its_own_caller_only(db):
    repo = SubscriptionRepo(db)

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


async def test_a_write_behind_batch_is_one_insert_on_sqlite(db):
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
        assert len(inserts) == 1, inserts[:3]  # executemany made one step per row: 120
    async with db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(wechat_replies)) == 120
    assert await dedupe.lookup(["m:0", "m:119", "m:120"]) == {
        "m:0": "<xml>reply 0</xml>",
        "m:119": "<xml>reply 119</xml>",
    }
    dedupe.remember("m:0", "wx:o0", "<xml>another</xml>")  # the first answer for a key stays
    await dedupe.flush()
    assert await dedupe.lookup(["m:0"]) == {"m:0": "<xml>reply 0</xml>"}
