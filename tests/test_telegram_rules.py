"""What the bot answers and what it ignores: groups, edits, channel posts, floods, failures."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from tgharness import config_for, running_bot, sent
from tgupdates import (
    callback_update,
    channel_post_update,
    edited_update,
    media_update,
    text_update,
)

RESIDENT, OTHER, GROUP = 42, 77, -1001234567890
BOT = "minxin_test_bot"  # the fake's getMe username


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def bot(api, holder, db_url):
    async with running_bot(api, holder, config_for(api, db_url)) as running:
        yield running


async def test_in_a_group_only_commands_and_mentions_are_answered(bot, api):
    in_group = {"chat_id": GROUP, "chat_type": "supergroup"}
    api.push(text_update(RESIDENT, "租房补贴怎么申请", **in_group))  # chatter: not for the bot
    api.push(media_update(RESIDENT, "sticker", **in_group))
    api.push(text_update(RESIDENT, "/help@some_other_bot", **in_group))
    [answer] = await bot.say(RESIDENT, f"@{BOT} 租房补贴怎么申请", **in_group)
    assert answer.params["text"].startswith("【第7项")
    [help_reply] = await bot.say(RESIDENT, f"/help@{BOT}", **in_group)
    assert help_reply.params["text"].startswith("我能回答")
    [plain_cmd] = await bot.say(RESIDENT, "/list", **in_group)
    assert plain_cmd.params["text"].endswith("请选择类别：")
    # Personal things stay in the private chat.
    [private] = await bot.say(RESIDENT, "/subscribe 5", **in_group)
    assert private.params == sent(GROUP, f"订阅和个人数据请在与我的私聊中操作：@{BOT}")
    assert len(api.of("sendMessage", GROUP)) == 4  # chatter, sticker, other bot's command: silence


async def test_edits_and_channel_posts_are_ignored(bot, api):
    api.push(edited_update(RESIDENT, "租房补贴怎么申请"))
    api.push(channel_post_update(-100999, "/start"))
    [barrier] = await bot.say(RESIDENT, "你好")
    assert barrier.params["text"].startswith("您好！")
    assert [c.chat_id for c in api.of("sendMessage")] == [RESIDENT]


async def test_flood_gets_one_slow_down_and_the_rest_is_dropped(api, holder, db_url):
    config = config_for(api, db_url, flood={"max_messages": 3, "per_seconds": 3600})
    async with running_bot(api, holder, config) as bot:
        for n in range(1, 8):
            api.push(text_update(RESIDENT, f"第{n}项"))
        await api.wait_for("sendMessage", 4, chat_id=RESIDENT)
        menu = {"message_id": 1, "date": 0, "chat": {"id": RESIDENT, "type": "private"}}
        api.push(callback_update(RESIDENT, "cats", menu))  # a button press while flooding
        await api.wait_for("answerCallbackQuery", 1)
        await bot.say(OTHER, "第1项")  # barrier: another resident is answered as usual
        texts = api.texts(RESIDENT)
        assert [t.split("】")[0] for t in texts[:3]] == [
            f"【第{n}项 {holder.kb.project(n).title}" for n in (1, 2, 3)
        ]
        assert texts[3:] == ["您发送得太快了，请稍后再试。"]
        [ack] = api.of("answerCallbackQuery")
        assert ack.params["text"] == "您发送得太快了，请稍后再试。"


async def test_flood_waits_and_network_errors_are_retried_not_shown(bot, api):
    api.fail_next("sendMessage", times=1, status=429, retry_after=1)
    api.fail_next("sendMessage", times=2, status=502)
    [reply] = await bot.say(RESIDENT, "/start")
    assert reply.params["text"].startswith("您好！")
    assert [c.status for c in api.of("sendMessage")] == [429, 502, 502, 200]
    assert len(api.texts(RESIDENT)) == 1


async def test_a_failing_handler_is_logged_once_and_the_user_gets_an_apology(bot, api, caplog):
    db = bot.running["db"]
    async with db.engine.begin() as conn:  # a real fault: the table the answer needs is gone
        await conn.execute(text("DROP TABLE subscriptions"))
    caplog.set_level(logging.ERROR)
    [reply] = await bot.say(RESIDENT, "/mysubs")
    assert reply.params == {"chat_id": RESIDENT, "text": "抱歉，出了点问题，请稍后再试。"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert "subscriptions" in str(errors[0].exc_info[1])  # the traceback is in the log only


async def test_a_resident_who_blocked_the_bot_gets_no_apology_and_no_broadcasts(bot, api, caplog):
    repo = bot.services.subscriptions
    await bot.say(RESIDENT, "/subscribe 全部")
    assert await repo.recipients(3) == [("tg:42", "telegram", "42")]
    api.block(RESIDENT)
    api.push(text_update(RESIDENT, "/start"))
    await api.wait_for("sendMessage", 2, chat_id=RESIDENT)
    await bot.say(OTHER, "你好")  # barrier
    assert [c.status for c in api.of("sendMessage", RESIDENT)] == [200, 403]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await repo.recipients(3) == []  # unreachable: broadcasts skip them
    api.restore(RESIDENT)  # they unblock and write again
    await bot.say(RESIDENT, "你好")
    await repo.db.later.flush()  # reachability is written just after the answer
    assert await repo.recipients(3) == [("tg:42", "telegram", "42")]
