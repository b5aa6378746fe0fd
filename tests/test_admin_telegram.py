"""Admins and staff on Telegram, end to end: the real bot (`serve`, PTB, polling) and a fake Bot API.

Each test is a transcript: who sends what, and what the bot sends back or to subscribers.
"""

from __future__ import annotations

import pytest
from tgharness import REPLY_TIMEOUT, config_for, running_bot
from tgupdates import callback_update, text_update

from bot.config import Config
from bot.storage.audit import AuditRepo
from bot.storage.broadcast import BroadcastRepo
from bot.storage.progress import ProgressRepo

ADMIN, STAFF, RESIDENT, NEIGHBOUR, BLOCKER = 1, 2, 42, 43, 44


def admin_config(api, db_url: str, **extra) -> Config:
    base = config_for(api, db_url, admins=[ADMIN], staff=[STAFF]).model_dump()
    base["knowledge"]["watch"] = False
    base["broadcast"].update(extra)
    base["privacy"]["hmac_secret"] = "test-secret"  # pseudonyms below: HMAC-SHA256 with it
    return Config.model_validate(base)


@pytest.fixture
async def bot(api, holder, tmp_path):
    config = admin_config(api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with running_bot(api, holder, config) as running:
        yield running


def named(update: dict, first_name: str) -> dict:
    for key in ("message", "callback_query"):
        if key in update:
            update[key]["from"]["first_name"] = first_name
    return update


async def admin_says(bot, text: str, expect: int = 1):
    return await bot.push_and_wait(named(text_update(ADMIN, text), "王主任"), ADMIN, expect)


async def admin_presses(bot, data: str, on) -> None:
    bot.api.push(named(callback_update(ADMIN, data, on.result), "王主任"))


def text_of(call) -> str:
    return call.params["text"]


def buttons_of(call) -> list[tuple[str, str]]:
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_a_resident_cannot_broadcast_and_the_attempt_is_audited(bot, api):
    [reply] = await bot.say(RESIDENT, "/broadcast all 明天停水")
    assert text_of(reply).startswith("无权限")
    [reply] = await bot.say(STAFF, "/broadcast all 明天停水")  # staff may reload, not broadcast
    assert text_of(reply).startswith("无权限")
    [reply] = await bot.say(RESIDENT, "/audit")
    assert text_of(reply).startswith("无权限")

    refused = await AuditRepo(bot.running["db"]).recent(action="refused")
    # who by pseudonym, what by command only: never the id, the name or the message
    assert [(e.who, e.who_name, e.details) for e in refused] == [
        ("u:d312b1313d79e64ed1066e6c", "", "/audit"),
        ("u:e4aeb48fbf69019f7e4c84fb", "", "/broadcast"),
        ("u:d312b1313d79e64ed1066e6c", "", "/broadcast"),
    ]
    assert await BroadcastRepo(bot.running["db"]).recent_jobs() == []
    [reply] = await admin_says(bot, "/audit")
    assert "u:d312b1313d79e64ed1066e6c refused /audit" in text_of(reply)
    assert "tg:42" not in text_of(reply) and "明天停水" not in text_of(reply)


async def test_preview_then_confirm_sends_each_subscriber_exactly_once(bot, api):
    await bot.say(RESIDENT, "/subscribe 9")
    await bot.say(NEIGHBOUR, "/subscribe 全部")  # all projects
    await bot.say(BLOCKER, "/subscribe 9")
    api.block(BLOCKER)  # then blocks the bot

    [preview] = await admin_says(bot, "/broadcast 9 万东路本周六上午通车")
    assert "收件人：3 人" in text_of(preview) and "万东路本周六上午通车" in text_of(preview)
    [(go_label, go), (no_label, _)] = buttons_of(preview)
    assert (go_label, no_label) == ("确认发送", "取消") and go.startswith("adm:go:")
    assert api.texts(RESIDENT)[-1] != "万东路本周六上午通车"  # nothing sent before confirming

    admin_sent = len(api.of("sendMessage", ADMIN))
    await admin_presses(bot, go, preview)
    [status] = await api.wait_for("editMessageText", 1, REPLY_TIMEOUT)
    assert (
        "已发送" in text_of(status) and status.params["message_id"] == preview.result["message_id"]
    )
    calls = await api.wait_for("sendMessage", admin_sent + 1, REPLY_TIMEOUT, chat_id=ADMIN)
    report = text_of(calls[-1])
    assert "发送完毕" in report and "共 3 人" in report
    assert "已送达 2" in report and "已屏蔽或不存在 1" in report and "用时" in report
    assert api.texts(RESIDENT).count("万东路本周六上午通车") == 1
    assert api.texts(NEIGHBOUR).count("万东路本周六上午通车") == 1

    # pressing 确认发送 again sends nothing more; the status message keeps the report
    answered = len(api.of("answerCallbackQuery"))
    await admin_presses(bot, go, preview)
    alert = (await api.wait_for("answerCallbackQuery", answered + 1, REPLY_TIMEOUT))[-1]
    assert "不会重复发送" in alert.params["text"]
    assert api.texts(RESIDENT).count("万东路本周六上午通车") == 1
    assert "发送完毕" in text_of(api.of("editMessageText")[-1])

    [listing] = await admin_says(bot, "/broadcasts")
    assert "完毕" in text_of(listing) and "送达 2/3" in text_of(listing)
    [audit] = await AuditRepo(bot.running["db"]).recent(action="broadcast")
    assert (audit.who, audit.who_name, audit.count) == ("u:8a2b97cc7e0c8bab46a1856b", "王主任", 3)
    # the blocked resident is no longer a recipient
    [preview] = await admin_says(bot, "/broadcast 9 第二条")
    assert "收件人：2 人" in text_of(preview)


async def test_cancel_on_the_preview_sends_nothing(bot, api):
    await bot.say(RESIDENT, "/subscribe 全部")
    [preview] = await admin_says(bot, "/broadcast all 测试通知")
    [_, (_, no)] = buttons_of(preview)
    await admin_presses(bot, no, preview)
    [edit] = await api.wait_for("editMessageText", 1, REPLY_TIMEOUT)
    assert "已取消" in text_of(edit) and "没有发送" in text_of(edit)
    assert "测试通知" not in api.texts(RESIDENT)
    [listing] = await admin_says(bot, "/broadcasts")
    assert "未发送" in text_of(listing)


async def test_progress_entry_reaches_residents_answers_with_its_date(bot, api):
    [before] = await bot.say(RESIDENT, "万东路修好了吗")
    assert "暂无进展发布" in text_of(before)

    [recorded] = await admin_says(bot, "/progress 9 60% 万东路主体完工，正在铺设管线")
    assert "已记录：第9项 建设城市市政道路" in text_of(recorded)
    assert ("通知订阅者", "adm:notify:1") in buttons_of(recorded)
    [entry] = await ProgressRepo(bot.running["db"]).entries(9)
    date = f"{entry.on.year}年{entry.on.month}月{entry.on.day}日"

    [answer] = await bot.say(RESIDENT, "万东路修好了吗")
    assert f"截至{date}：进行中 60%" in text_of(answer)
    assert "万东路主体完工，正在铺设管线" in text_of(answer)
    assert "管理员王主任发布" in text_of(answer)

    [history] = await bot.say(STAFF, "/history 9")
    assert f"{date} 进行中 60% 万东路主体完工" in text_of(history)
    [bad] = await admin_says(bot, "/progress 9 差不多了 快好了")
    assert "看不懂「差不多了」" in text_of(bad)
    [audit] = await AuditRepo(bot.running["db"]).recent(action="progress")
    assert audit.details.startswith("第9项 建设城市市政道路 进行中 60%")


async def test_notify_subscribers_about_a_progress_entry(bot, api):
    await bot.say(RESIDENT, "/subscribe 9")
    [recorded] = await admin_says(bot, "/progress 万东路 已完成 全线通车")
    admin_sent = len(api.of("sendMessage", ADMIN))
    await admin_presses(bot, "adm:notify:1", recorded)
    [preview] = (await api.wait_for("sendMessage", admin_sent + 1, REPLY_TIMEOUT, ADMIN))[-1:]
    assert "收件人：1 人" in text_of(preview) and "【进展通知】第9项" in text_of(preview)
    await admin_presses(bot, buttons_of(preview)[0][1], preview)
    _, notice = await api.wait_for("sendMessage", 2, REPLY_TIMEOUT, chat_id=RESIDENT)
    assert text_of(notice).startswith("【进展通知】第9项 建设城市市政道路\n截至")
    assert "已完成" in text_of(notice) and "全线通车" in text_of(notice)


async def test_cancel_broadcast_stops_a_running_job(api, holder, tmp_path):
    config = admin_config(
        api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", rate_per_second=2, concurrency=1
    )
    async with running_bot(api, holder, config) as bot:
        subs = bot.services.subscriptions
        for uid in range(1000, 1030):
            await subs.touch_user(f"tg:{uid}", "telegram", str(uid))
            await subs.subscribe(f"tg:{uid}", None)
        [preview] = await admin_says(bot, "/broadcast all 慢慢发")
        await admin_presses(bot, buttons_of(preview)[0][1], preview)
        await api.wait_for("sendMessage", 2, REPLY_TIMEOUT, chat_id=None)
        job_id = int(buttons_of(preview)[0][1].split(":")[2])
        replies = await admin_says(bot, f"/cancel_broadcast {job_id}", expect=2)
        texts = sorted(text_of(c) for c in replies)  # the answer, and the job's final report
        assert any(t.startswith(f"已停止广播 #{job_id}") for t in texts)
        assert any(f"广播 #{job_id}（全部订阅者）已取消" in t for t in texts)
        counts = await BroadcastRepo(bot.running["db"]).counts(job_id)
        assert counts["cancelled"] > 0 and counts["sent"] + counts["cancelled"] == 30
        assert sum(api.sent_per_chat[u] for u in range(1000, 1030)) == counts["sent"]


async def test_forget_is_audited_without_naming_the_resident(bot, api):
    await bot.say(RESIDENT, "/subscribe 9")
    [reply] = await bot.say(RESIDENT, "/forget")
    assert "已删除" in text_of(reply)  # the resident handler still answers
    [entry] = await AuditRepo(bot.running["db"]).recent(action="forget")
    assert entry.who == "居民" and "42" not in f"{entry.who} {entry.who_name} {entry.details}"
