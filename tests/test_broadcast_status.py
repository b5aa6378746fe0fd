"""What the admin watches: the status line with its text bar, edited while sending, then the report."""

from __future__ import annotations

import datetime as dt
import re

from fakebotapi import FakeBotAPI
from telegram import Bot

from bot.broadcast import BroadcastEngine
from bot.broadcast.status import bar, duration_text, follow, report_text, status_text
from bot.channels.telegram.sender import TelegramSender
from bot.config import BroadcastConfig
from bot.storage.broadcast import BroadcastRepo, Job
from bot.storage.subscriptions import SubscriptionRepo


def job(**kw) -> Job:
    start = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.timezone.utc)
    values = dict(
        id=7, project=None, text="通知", author="王主任", author_id="tg:1", state="running",
        total=10000, origin="", status_chat="1", status_message="5", created_at=start,
        started_at=start, finished_at=start + dt.timedelta(minutes=6, seconds=41),
    )  # fmt: skip
    return Job(**{**values, **kw})


def test_the_status_line_counts_what_is_done_with_a_text_bar():
    assert bar(3200, 10000) == "▓▓▓░░░░░░░"
    assert bar(0, 0) == "▓▓▓▓▓▓▓▓▓▓"  # nothing to send is done
    counts = {"pending": 6790, "sending": 10, "sent": 3195, "blocked": 5}
    assert status_text(job(), counts).split("\n") == [
        "广播 #7（全部订阅者）发送中",
        "已发送 3200/10000 ▓▓▓░░░░░░░",
        "已屏蔽或不存在 5",
    ]


def test_the_final_report_lists_every_outcome_and_the_duration():
    counts = {"sent": 9990, "blocked": 4, "failed": 1, "uncertain": 3, "skipped": 2}
    assert report_text(job(state="done"), counts, "第9项 建设城市市政道路").split("\n") == [
        "广播 #7（第9项 建设城市市政道路）发送完毕",
        "共 10000 人",
        "已送达 9990",
        "已屏蔽或不存在 4",
        "失败 1",
        "不确定（重启时正在发送，未重发） 3",
        "现在无法送达（超出微信 48 小时窗口，或该渠道不能推送） 2",
        "用时 6分41秒",
    ]
    assert duration_text(5) == "5秒" and duration_text(3 * 3600 + 120) == "3小时2分"


async def test_the_status_message_is_edited_as_sending_progresses(db):
    subs = SubscriptionRepo(db)
    for chat in range(1, 21):
        await subs.touch_user(f"tg:{chat}", "telegram", str(chat))
        await subs.subscribe(f"tg:{chat}", None)
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(None, "通知", "王主任", "tg:1")
    await repo.confirm(job_id, await subs.recipients(None))
    edits, reports = [], []

    async def edit(text):
        edits.append(text)

    async def report(text):
        reports.append(text)

    async with FakeBotAPI() as api, Bot(api.token, base_url=api.base_url) as bot:
        config = BroadcastConfig(rate_per_second=10, status_interval=0.2)
        engine = BroadcastEngine(repo, subs, {"telegram": TelegramSender(bot)}, config)
        task = engine.start(job_id)
        await follow(repo, job_id, task, config.status_interval, edit, report)

    done = [int(re.search(r"已发送 (\d+)/20", e).group(1)) for e in edits[:-1]]
    # It moved while we watched: at least two counts short of the total, never going back.
    # (On a loaded machine the follower may also catch 20/20 before the job's final state.)
    assert done == sorted(done) and len([d for d in done if d < 20]) >= 2, done
    assert edits[-1] == reports[0] and reports[0].startswith("广播 #1（全部订阅者）发送完毕")
    assert "已送达 20" in reports[0]


async def test_recipients_on_a_channel_without_a_sender_are_skipped_and_reported(db):
    subs = SubscriptionRepo(db)
    await subs.touch_user("tg:1", "telegram", "1")
    await subs.touch_user("wx:openid-a", "wechat", "openid-a")
    for user in ("tg:1", "wx:openid-a"):
        await subs.subscribe(user, 9)
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(9, "通知", "王主任", "tg:1")
    await repo.confirm(job_id, await subs.recipients(9))
    async with FakeBotAPI() as api, Bot(api.token, base_url=api.base_url) as bot:
        engine = BroadcastEngine(repo, subs, {"telegram": TelegramSender(bot)})
        engine.start(job_id)
        await engine.wait(job_id)
        assert api.sent_per_chat == {1: 1}
    counts = await repo.counts(job_id)
    assert (counts["sent"], counts["skipped"]) == (1, 1)
    assert "现在无法送达（超出微信 48 小时窗口，或该渠道不能推送） 1" in report_text(
        await repo.job(job_id), counts
    )
