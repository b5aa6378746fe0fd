"""A new user's first messages arriving at once (several processes, several connections): one
users row, no UniqueViolation, nothing logged as an error; answers never wait for the write."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from wechat_support import running, services_with_storage, wechat_config

from bot.storage import Database
from bot.storage.subscriptions import SubscriptionRepo, users
from bot.storage.wechat import WeChatDedupe


async def _user_rows(db: Database, user_key: str):
    async with db.engine.connect() as conn:
        return (await conn.execute(select(users).where(users.c.user_key == user_key))).all()


async def test_concurrent_first_touches_from_three_processes_make_one_row(db, caplog):
    # Three Database objects = three processes' pools on the same database, 10 touches each.
    others = [Database(db.url) for _ in range(2)]
    repos = [SubscriptionRepo(d) for d in (db, *others)]
    try:
        with caplog.at_level(logging.WARNING):
            await asyncio.gather(
                *(r.touch_user("wx:oFirst", "wechat", "oFirst") for r in repos for _ in range(10))
            )
    finally:
        for d in others:
            await d.close()
    rows = await _user_rows(db, "wx:oFirst")
    assert len(rows) == 1
    assert (rows[0].channel, rows[0].chat_id, rows[0].active) == ("wechat", "oFirst", True)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_later_touch_keeps_first_seen_and_moves_last_seen(db):
    repo = SubscriptionRepo(db)
    await repo.touch_user("tg:7", "telegram", "7")
    [first] = await _user_rows(db, "tg:7")
    await repo.set_active("tg:7", False)  # they had blocked the bot
    await asyncio.sleep(0.01)
    await repo.touch_user("tg:7", "telegram", "70")  # and now write from a new chat
    [again] = await _user_rows(db, "tg:7")
    assert again.first_seen == first.first_seen
    assert again.last_seen > first.last_seen
    assert (again.chat_id, again.active) == ("70", True)


async def test_a_new_wechat_users_burst_is_answered_and_seen_once(holder, db, caplog):
    services = services_with_storage(holder, db)
    db.later.delay = 60  # no batch goes out by itself during this test
    async with running(services, wechat_config(), db) as wx:
        with caplog.at_level(logging.WARNING):
            replies = await asyncio.gather(*(wx.ask("oBurst", "你好") for _ in range(8)))
            # All answered with nothing about them stored yet: the writes wait for the batch.
            assert await _user_rows(db, "wx:oBurst") == []
            await db.later.flush()
    assert all(r.startswith("您好") for r in replies), replies
    [row] = await _user_rows(db, "wx:oBurst")
    assert (row.channel, row.chat_id) == ("wechat", "oBurst")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_subscribing_writes_the_queued_last_seen_with_the_subscription(db, caplog):
    repo = SubscriptionRepo(db)
    db.later.delay = 60
    repo.seen("wx:oSub", "wechat", "oSub")
    WeChatDedupe(db).remember("m:42", "wx:oSub", "<xml>reply</xml>")  # another statement queued
    assert await repo.subscribe("wx:oSub", 9)
    assert await repo.recipients(9) == [("wx:oSub", "wechat", "oSub")]  # no batch needed
    with caplog.at_level(logging.WARNING):
        await db.later.flush()  # the rest of the batch still goes out, and only the rest
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert await WeChatDedupe(db).lookup(["m:42"]) == {"m:42": "<xml>reply</xml>"}
