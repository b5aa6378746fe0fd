"""WeChat's 5-second rule: retries are answered with the reply already produced, never
recomputed; an answer that would be too slow becomes 'success' and is delivered later."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from wechat_support import (
    FakeWeChatAPI,
    RecordingQuestionLog,
    fake_wechat_api,
    message_xml,
    running,
    services_with_storage,
    wechat_config,
)

from bot.channels.wechat import channel as wechat
from bot.channels.wechat.notify import WeChatNotifier
from bot.storage.store import ChannelStore
from bot.storage.wechat import WeChatDedupe, wechat_replies


@pytest.fixture
def log():
    return RecordingQuestionLog()


@pytest.fixture
def services(holder, db, log):
    return services_with_storage(holder, db, question_log=log)


async def stored_rows(db) -> int:
    async with db.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(wechat_replies))


async def test_the_same_msgid_three_times_is_answered_once_with_three_identical_replies(
    services, db, log
):
    async with running(services, wechat_config(), db) as wx:
        xml = message_xml(
            "text", openid="oRetry", content="租房补贴怎么申请", msg_id="6054768590064713728"
        )
        replies = [await wx.post(xml) for _ in range(3)]
    assert replies[0][0] == 200
    assert replies[0] == replies[1] == replies[2]
    assert log.questions == [("wx:oRetry", "租房补贴怎么申请")]
    assert await stored_rows(db) == 1


async def test_retries_arriving_together_still_compute_one_answer(services, db, log):
    async with running(services, wechat_config(), db) as wx:
        xml = message_xml("text", openid="oRetry", content="万东路修好了吗")
        replies = await asyncio.gather(*(wx.post(xml) for _ in range(3)))
    assert len(set(replies)) == 1
    assert "第9项" in replies[0][1]
    assert len(log.questions) == 1


async def test_a_retry_after_a_restart_gets_the_reply_stored_before_it(services, db, log, holder):
    other = services_with_storage(holder, db, question_log=log)  # the restarted process
    xml = message_xml("text", openid="oRetry", content="医保住院最高报多少")
    async with running(services, wechat_config(), db) as first:
        reply = await first.post(xml)
    async with running(other, wechat_config(), db) as second:
        assert await second.post(xml) == reply
    assert len(log.questions) == 1


async def test_answers_pushed_out_of_memory_early_are_found_in_storage(
    services, db, log, monkeypatch
):
    monkeypatch.setattr(wechat, "RECENT_MAX", 1)  # a flood of messages, in miniature
    async with running(services, wechat_config(), db) as wx:
        xml = message_xml("text", openid="oFirst", content="租房补贴怎么申请")
        reply = await wx.post(xml)
        await wx.ask("oOther", "你好")
        await wx.ask("oOther", "谢谢")
        await wx.endpoint.dedupe.flush()
        assert await wx.post(xml) == reply
    assert [q for q in log.questions if q[0] == "wx:oFirst"] == [("wx:oFirst", "租房补贴怎么申请")]


async def test_events_are_deduplicated_by_sender_and_create_time(services, db):
    async with running(services, wechat_config(), db) as wx:
        xml = message_xml("event_subscribe", openid="oFollow", create_time="1700000000")
        first, again = await wx.post(xml), await wx.post(xml)
        later = await wx.post(
            message_xml("event_subscribe", openid="oFollow", create_time="1700000009")
        )
    assert first == again
    assert "感谢关注" in first[1] and "感谢关注" in later[1]
    assert await stored_rows(db) == 2  # the retry shared the first entry; the later event did not


async def test_different_messages_with_the_same_text_are_each_answered(services, db, log):
    async with running(services, wechat_config(), db) as wx:
        await wx.ask("oTwice", "你好")
        await wx.ask("oTwice", "你好")
    assert len(log.questions) == 2


class SlowProgress:
    """Progress entries from a store that hangs until released (a stuck database, say)."""

    def __init__(self):
        self.release = asyncio.Event()

    async def progress_history(self, project: int):
        await self.release.wait()
        return []


async def test_an_answer_over_budget_replies_success_then_arrives_as_a_service_message(
    holder, db, caplog
):
    slow = SlowProgress()
    services = services_with_storage(holder, db)
    services.progress = slow
    api: FakeWeChatAPI
    async with fake_wechat_api() as (api, base_url):
        config = wechat_config(app_secret=api.secret)
        notifier = WeChatNotifier(config.wechat, ChannelStore(db), api_base_url=base_url)
        async with running(services, config, db, budget=0.3, notifier=notifier) as wx:
            xml = message_xml("text", openid="oSlow", content="万东路修好了吗")
            assert await wx.post(xml) == (200, "success")
            assert "over the 0.3 s budget" in caplog.text
            slow.release.set()
            await api.wait_for_calls(1)
            # A retry after that (WeChat would not retry 'success', but a proxy might) gets the
            # reply that was produced, not a second computation.
            status, reply = await wx.post(xml)
    endpoint, body = api.calls[0]
    assert endpoint == "message/custom/send"
    assert body["touser"] == "oSlow"
    assert body["text"]["content"].startswith(f"【第9项 {holder.kb.project(9).title}】")
    assert status == 200 and body["text"]["content"] in reply


async def test_a_failing_answer_gets_an_apology_not_an_error(holder, db, caplog):
    class BrokenProgress:
        async def progress_history(self, project):
            raise RuntimeError("database gone")

    services = services_with_storage(holder, db)
    services.progress = BrokenProgress()
    async with running(services, wechat_config(), db) as wx:
        reply = await wx.ask("oBroken", "万东路修好了吗")
    assert reply == "抱歉，系统出了点问题，请稍后再试。"
    assert "database gone" in caplog.text  # logged once, with its traceback, for the operator
    assert "database gone" not in reply


# ---- the store itself ----------------------------------------------------------------------
async def test_replies_are_stored_and_read_back(db):
    store = WeChatDedupe(db)
    assert await store.reply_of("m:1") is None
    store.remember("m:1", "wx:o1", "<xml>reply</xml>")
    store.remember("m:2", "wx:o2", "success")
    store.remember("m:1", "wx:o1", "<xml>a second answer is never stored</xml>")
    await store.flush()
    assert await store.reply_of("m:1") == "<xml>reply</xml>"
    assert await WeChatDedupe(db).reply_of("m:2") == "success"  # any process sees it


async def test_expired_replies_are_not_used_and_are_purged(db):
    store = WeChatDedupe(db)
    store.remember("m:3", "wx:o1", "old")
    await store.flush()
    assert await WeChatDedupe(db, ttl=3600).purge() == 0
    assert await WeChatDedupe(db, ttl=-1).reply_of("m:3") is None
    assert await WeChatDedupe(db, ttl=-1).purge() == 1


async def test_forgetting_a_user_removes_their_stored_replies(db):
    store = WeChatDedupe(db)
    store.remember("m:4", "wx:o1", "mine")
    store.remember("m:5", "wx:o2", "theirs")
    await store.flush()
    assert await db.forget_user("wx:o1") >= 1
    assert await store.reply_of("m:4") is None
    assert await store.reply_of("m:5") == "theirs"


async def test_the_dedupe_table_is_created_by_a_named_migration(db):
    assert "0100_wechat_dedupe" in await db.applied_migrations()
