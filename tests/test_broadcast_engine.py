"""The broadcast sender against the fake Bot API with a real PTB Bot: pacing, 429, 403, moves, crashes."""

from __future__ import annotations

import time

import pytest
from telegram import Bot

from bot.broadcast import BroadcastEngine, RateLimited
from bot.channels.telegram.sender import TelegramSender
from bot.config import BroadcastConfig
from bot.storage.broadcast import BroadcastRepo
from bot.storage.subscriptions import SubscriptionRepo

SLACK = 0.05  # clock granularity when comparing the fake's arrival times


@pytest.fixture
async def bot(api):
    b = Bot(api.token, base_url=api.base_url)
    async with b:
        yield b


async def subscribe(db, chats, project=None) -> SubscriptionRepo:
    subs = SubscriptionRepo(db)
    for chat in chats:
        await subs.touch_user(f"tg:{chat}", "telegram", str(chat))
        await subs.subscribe(f"tg:{chat}", project)
    return subs


async def confirmed_job(db, subs, text="万东路本周六通车", project=None) -> int:
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(project, text, "王主任", "tg:1")
    assert await repo.confirm(job_id, await subs.recipients(project))
    return job_id


def engine_for(db, subs, bot, **conf) -> BroadcastEngine:
    config = BroadcastConfig(**{"rate_per_second": 200, "per_chat_interval": 0.5, **conf})
    return BroadcastEngine(
        BroadcastRepo(db), subs, {"telegram": TelegramSender(bot)}, config, backoff_base=0.05
    )


class Recording:
    """The real Telegram sender, noting when each send started and each 429 came back."""

    def __init__(self, inner):
        self.inner = inner
        self.started: list[float] = []
        self.by_chat: list[tuple[str, float]] = []
        self.limited: list[tuple[float, float]] = []  # (when, seconds to wait)

    async def send(self, chat_id, text):
        self.started.append(time.monotonic())
        self.by_chat.append((chat_id, self.started[-1]))
        try:
            await self.inner.send(chat_id, text)
        except RateLimited as e:
            self.limited.append((time.monotonic(), e.seconds))
            raise


async def run(engine, job_id) -> dict[str, int]:
    engine.start(job_id)
    await engine.wait(job_id)
    return await engine.repo.counts(job_id)


async def test_every_subscriber_gets_the_message_once_at_the_configured_rate(db, api, bot):
    chats = list(range(101, 121))
    subs = await subscribe(db, chats)
    job_id = await confirmed_job(db, subs)
    sender = Recording(TelegramSender(bot))
    config = BroadcastConfig(rate_per_second=20, concurrency=8)
    engine = BroadcastEngine(BroadcastRepo(db), subs, {"telegram": sender}, config)
    began = time.monotonic()
    counts = await run(engine, job_id)
    assert counts["sent"] == 20 and counts["pending"] == counts["sending"] == 0
    assert api.sent_per_chat == {c: 1 for c in chats}
    assert set(api.texts()) == {"万东路本周六通车"}
    assert sender.started[-1] - began >= 19 / 20 - SLACK  # never faster than 20 a second
    assert (await BroadcastRepo(db).job(job_id)).state == "done"


async def test_429_retry_after_is_waited_out_then_sending_resumes(db, api, bot):
    subs = await subscribe(db, [201, 202, 203])
    job_id = await confirmed_job(db, subs)
    api.fail_next("sendMessage", times=1, status=429, retry_after=1)
    engine = engine_for(db, subs, bot, concurrency=1)
    counts = await run(engine, job_id)
    assert counts["sent"] == 3
    assert api.sent_per_chat == {201: 1, 202: 1, 203: 1}  # the refused one was sent again
    refused = api.of("sendMessage", ok=False)
    assert [c.status for c in refused] == [429]
    after = [c for c in api.of("sendMessage") if c.at > refused[0].at]
    assert after[0].at - refused[0].at >= 1 - SLACK  # nothing at all before retry_after passed
    assert engine.stats["rate_limited"] == 1


async def test_a_global_429_pauses_every_sender_not_just_one(db, api, bot):
    chats = list(range(301, 307))
    subs = await subscribe(db, chats)
    job_id = await confirmed_job(db, subs)
    api.set_rate_limit(per_second=4, burst=2, retry_after=1)  # the engine is told 200/s
    sender = Recording(TelegramSender(bot))
    config = BroadcastConfig(rate_per_second=200, per_chat_interval=0.5, concurrency=4)
    engine = BroadcastEngine(BroadcastRepo(db), subs, {"telegram": sender}, config)
    counts = await run(engine, job_id)
    assert counts["sent"] == 6 and api.sent_per_chat == {c: 1 for c in chats}
    assert sender.limited  # the server did refuse some
    for when, wait in sender.limited:  # no sender started a send while paused
        assert not [t for t in sender.started if when < t < when + wait - SLACK]


async def test_403_blocked_marks_the_subscriber_inactive_without_retrying(db, api, bot):
    subs = await subscribe(db, [401, 402, 403], project=9)
    api.block(402)
    api.chat_not_found(403)
    job_id = await confirmed_job(db, subs, project=9)
    counts = await run(engine_for(db, subs, bot), job_id)
    assert (counts["sent"], counts["blocked"]) == (1, 2)
    assert api.attempts_per_chat[402] == 1 and api.attempts_per_chat[403] == 1
    assert [r[0] for r in await subs.recipients(9)] == ["tg:401"]  # no more messages to them


async def test_chat_migrated_moves_the_subscriber_and_resends_there(db, api, bot):
    subs = await subscribe(db, [-501, 502])
    api.migrate(-501, -100501)
    job_id = await confirmed_job(db, subs)
    counts = await run(engine_for(db, subs, bot), job_id)
    assert counts["sent"] == 2
    assert api.sent_per_chat == {-100501: 1, 502: 1}
    assert ("tg:-501", "telegram", "-100501") in await subs.recipients(None)


async def test_network_errors_are_retried_a_bounded_number_of_times(db, api, bot):
    subs = await subscribe(db, [601])
    api.fail_next("sendMessage", times=2, status=502)
    fast = {"per_chat_interval": 0.1}
    counts = await run(
        engine_for(db, subs, bot, max_retries=3, **fast), await confirmed_job(db, subs)
    )
    assert counts["sent"] == 1 and api.sent_per_chat[601] == 1

    api.clear()
    api.fail_next("sendMessage", times=10, status=502)
    job_id = await confirmed_job(db, subs, text="第二条")
    counts = await run(engine_for(db, subs, bot, max_retries=2, **fast), job_id)
    assert counts["failed"] == 1 and api.attempts_per_chat[601] == 3  # 1 try + 2 retries


async def test_one_chat_gets_at_most_one_message_per_interval(db, api, bot):
    subs = await subscribe(db, [701, 702])
    sender = Recording(TelegramSender(bot))
    config = BroadcastConfig(rate_per_second=200, per_chat_interval=0.5)
    engine = BroadcastEngine(BroadcastRepo(db), subs, {"telegram": sender}, config)
    first, second = await confirmed_job(db, subs, "一"), await confirmed_job(db, subs, "二")
    engine.start(first)
    engine.start(second)  # both jobs reach the same two chats at once
    await engine.wait(first)
    await engine.wait(second)
    assert api.sent_per_chat == {701: 2, 702: 2}
    for chat in ("701", "702"):
        a, b = [t for c, t in sender.by_chat if c == chat]
        assert b - a >= 0.5 - SLACK


async def test_cancel_stops_sending_and_keeps_what_was_sent(db, api, bot):
    chats = list(range(801, 841))
    subs = await subscribe(db, chats)
    job_id = await confirmed_job(db, subs)
    engine = engine_for(db, subs, bot, rate_per_second=10, concurrency=1)
    engine.start(job_id)
    await api.wait_for("sendMessage", 3)
    assert await engine.cancel(job_id) is True
    await engine.wait(job_id)
    counts = await engine.repo.counts(job_id)
    assert counts["sent"] + counts["cancelled"] == 40 and counts["cancelled"] > 0
    assert sum(api.sent_per_chat.values()) == counts["sent"]
    assert (await engine.repo.job(job_id)).state == "cancelled"


async def test_resume_after_a_crash_never_resends_rows_that_were_in_flight(db, api, bot):
    chats = list(range(901, 911))
    subs = await subscribe(db, chats)
    job_id = await confirmed_job(db, subs)
    repo = BroadcastRepo(db)
    await repo.start(job_id)
    rows = await repo.pending(job_id)
    for r in rows[:3]:  # what a killed process leaves: 3 sent, 2 in flight, 5 untouched
        await repo.claim(r.id)
        await repo.mark(r.id, "sent")
    for r in rows[3:5]:
        await repo.claim(r.id)

    engine = engine_for(db, subs, bot)
    assert await engine.resume() == [job_id]
    await engine.wait(job_id)
    counts = await repo.counts(job_id)
    assert (counts["sent"], counts["uncertain"], counts["pending"]) == (8, 2, 0)
    assert set(api.sent_per_chat) == set(chats[5:])  # only the untouched ones were sent now
    assert (await repo.job(job_id)).state == "done"
    assert await engine.resume() == []  # nothing left open
