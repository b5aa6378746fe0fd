"""The fake Bot API answers a real PTB Bot the way Telegram does, faults included."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from tgupdates import entities_of, text_update


@pytest.fixture
async def bot(api):
    b = Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
    async with b:
        yield b


async def test_send_and_edit_are_recorded_with_decoded_params(api, bot):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("第5项", callback_data="a:5:overview")]])
    msg = await bot.send_message(42, "5", reply_markup=markup)
    assert msg.chat.type == "private" and msg.text == "5" and msg.from_user.is_bot
    edited = await bot.edit_message_text("新内容", chat_id=42, message_id=msg.message_id)
    assert edited.text == "新内容"
    send, edit = api.of("sendMessage")[0], api.of("editMessageText")[0]
    assert send.params["text"] == "5"  # a digit-only text stays a string
    assert send.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "第5项", "callback_data": "a:5:overview"}]]
    }
    assert edit.params == {"chat_id": 42, "message_id": msg.message_id, "text": "新内容"}
    assert api.sent_per_chat[42] == 1


async def test_editing_without_a_change_is_refused_like_telegram(bot):
    msg = await bot.send_message(42, "同一句")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("同一句", chat_id=42, message_id=msg.message_id)


async def test_rate_limit_answers_429_with_retry_after(api, bot):
    api.set_rate_limit(per_second=1, burst=2, retry_after=3)
    await bot.send_message(1, "a")
    await bot.send_message(2, "b")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(3, "c")
    assert info.value.retry_after in (3, dt.timedelta(seconds=3))
    assert api.rate_limited == 1
    assert api.attempts_per_chat[3] == 1 and api.sent_per_chat[3] == 0


async def test_per_chat_faults(api, bot):
    api.block(5)
    api.chat_not_found(6)
    api.migrate(-7, -1007)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(5, "x")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(6, "x")
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-7, "x")
    assert info.value.new_chat_id == -1007
    api.restore(5)
    await bot.send_message(5, "x")
    assert api.sent_per_chat == {5: 1}


async def test_fail_next_gives_network_errors_then_recovers(api, bot):
    api.fail_next("sendMessage", times=2, status=502)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(1, "x")
    await bot.send_message(1, "x")
    assert [c.status for c in api.of("sendMessage")] == [502, 502, 200]


async def test_get_updates_long_polls_and_honours_offset(api, bot):
    pending = asyncio.ensure_future(bot.get_updates(timeout=5))
    await asyncio.sleep(0)
    api.push(text_update(42, "/start p5"))
    [update] = await pending
    assert update.message.text == "/start p5"
    assert update.message.entities[0].type == "bot_command"
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_wait_for_times_out_with_what_arrived(api, bot):
    await bot.get_me()
    with pytest.raises(TimeoutError, match="0 of 1 sendMessage"):
        await api.wait_for("sendMessage", 1, timeout=0.2)


def test_entities_count_utf16_offsets():
    assert entities_of("请问 @minxin_test_bot 租房补贴") == [
        {"type": "mention", "offset": 3, "length": 16}
    ]
    assert entities_of("😀 @bot")[0]["offset"] == 3  # the emoji is two UTF-16 units


async def test_control_routes_drive_the_fake_from_another_process(api, bot):
    import aiohttp

    base = f"http://127.0.0.1:{api.port}/_fake"
    async with aiohttp.ClientSession() as http:
        await http.post(f"{base}/push", json=[text_update(9, "你好")])
        await http.post(f"{base}/configure", json={"block": [9]})
        [update] = await bot.get_updates(timeout=0)
        assert update.message.text == "你好"
        with pytest.raises(Forbidden):
            await bot.send_message(9, "x")
        stats = await (await http.get(f"{base}/stats")).json()
        assert stats["per_method"]["sendMessage"] == 1
        assert stats["attempts_per_chat"] == {"9": 1} and stats["sent_per_chat"] == {}
        waited = await http.get(f"{base}/wait", params={"method": "sendMessage", "count": "1"})
        assert (await waited.json())["count"] == 1
