"""A resident talks to the real bot (PTB Application, long polling) through a fake Bot API.

Each test reads as a transcript: what the resident sends, and the exact Bot API requests the bot
makes in answer (sendMessage / editMessageText / answerCallbackQuery).
"""

from __future__ import annotations

import html

import pytest
from tgharness import config_for, keyboard, rows_of, running_bot, sent
from tgupdates import callback_update, media_update, text_update

from bot.channels.telegram.channel import COMMANDS
from handlers import browse, projects, smalltalk

RESIDENT = 42


@pytest.fixture
async def bot(api, holder, tmp_path):
    config = config_for(api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with running_bot(api, holder, config) as running:
        yield running


def as_sent(chat_id: int, reply) -> dict:
    """What the bot must send for a handler's Reply (no quote): escaped text, its keyboard."""
    return sent(chat_id, html.escape(reply.text, quote=False), rows_of(reply))


async def test_start_up_registers_the_chinese_command_menu(bot, api):
    [call] = api.of("setMyCommands")
    assert call.params["commands"] == [
        {"command": c.command, "description": c.description} for c in COMMANDS
    ]
    assert {"start", "list", "subscribe", "forget"} <= {c.command for c in COMMANDS}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.description) for c in COMMANDS)


async def test_start_greets_and_shows_the_category_menu(bot, holder):
    kb = holder.kb
    [reply] = await bot.say(RESIDENT, "/start")
    categories = [name for name, _ in kb.by_category()]
    rows = [
        [(name, f"cat:{i}") for i, name in list(enumerate(categories))[j : j + 2]]
        for j in range(0, len(categories), 2)
    ]
    greeting = html.escape(smalltalk.greeting(kb).text, quote=False)
    assert reply.params == sent(
        RESIDENT,
        f"{greeting}\n{kb.year.title}，请选择类别：",
        [*rows, [("使用帮助", "help")]],
    )
    assert reply.params["text"].startswith("您好！我是民心通")


async def test_deep_link_opens_project_5(bot, holder):
    kb = holder.kb
    [reply] = await bot.say(RESIDENT, "/start p5")
    assert reply.params == as_sent(RESIDENT, projects.answer(kb, kb.project(5), "overview", []))
    assert reply.params["text"].startswith(f"【第5项 {kb.project(5).title}】")
    # A link to a project that does not exist is just a welcome.
    [other] = await bot.say(RESIDENT, "/start p99")
    assert other.params["text"].startswith("您好！我是民心通")


async def test_a_question_its_answer_and_a_follow_up_button(bot, api, holder):
    kb = holder.kb
    [answer] = await bot.say(RESIDENT, "万东路修好了吗")
    history = await bot.services.progress_history(9)
    assert answer.params == as_sent(
        RESIDENT, projects.answer(kb, kb.project(9), "progress", history, text="万东路修好了吗")
    )
    assert (
        "2023年计划完成万东路（成林道-津滨大道）道路及配套管线工程建设。" in answer.params["text"]
    )
    assert ("时间", "a:9:deadline:0") in [
        (b["text"], b["callback_data"])
        for row in answer.params["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    # The resident presses 时间: the press is answered, then the deadline answer is sent.
    [deadline] = await bot.press(RESIDENT, "a:9:deadline:0", on=answer)
    [ack] = api.of("answerCallbackQuery")
    assert ack.params == {"callback_query_id": ack.params["callback_query_id"]}
    assert deadline.params == as_sent(
        RESIDENT, projects.answer(kb, kb.project(9), "deadline", history, hint="万东路")
    )
    assert "原文未说明万东路及各配套道路的开工、完工和通车时间。" in deadline.params["text"]


async def test_list_navigation_edits_the_menu_in_place_with_a_back_button(bot, api, holder):
    kb = holder.kb
    [menu] = await bot.say(RESIDENT, "/list")
    assert menu.params == as_sent(RESIDENT, browse.categories(kb))
    city = [name for name, _ in kb.by_category()].index("城市建设")

    edit = await bot.press_and_wait_edit(RESIDENT, f"cat:{city}", on=menu)
    name, members = kb.by_category()[city]
    assert edit.params == {
        "chat_id": RESIDENT,
        "message_id": menu.result["message_id"],
        "text": f"【{name}】共{len(members)}项：" + "、".join(p.title for p in members),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": keyboard(
                [[(f"{p.number}. {p.title}", f"a:{p.number}:overview")] for p in members]
                + [[("« 返回类别", "cats")]]
            )
        },
    }
    back = await bot.press_and_wait_edit(RESIDENT, "cats", on=edit)
    assert back.params["message_id"] == menu.result["message_id"]
    assert back.params["text"] == menu.params["text"]
    assert back.params["reply_markup"] == menu.params["reply_markup"]
    assert len(api.of("answerCallbackQuery")) == 2
    assert len(api.of("sendMessage", RESIDENT)) == 1  # navigation sent nothing new


async def test_pressing_the_same_menu_button_twice_is_quiet(bot, api):
    [menu] = await bot.say(RESIDENT, "/list")
    first = await bot.press_and_wait_edit(RESIDENT, "cat:0", on=menu)
    api.push(callback_update(RESIDENT, "cat:0", first.result))  # Telegram: "not modified"
    await bot.say(RESIDENT, "你好")  # barrier: one user's updates are handled in order
    assert len(api.of("answerCallbackQuery")) == 2
    assert [c.status for c in api.of("editMessageText")] == [200, 400]
    assert all("抱歉" not in t for t in api.texts(RESIDENT))


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location", "document"])
async def test_non_text_gets_we_read_text_and_the_menu(bot, holder, kind):
    [reply] = await bot.push_and_wait(media_update(RESIDENT, kind), RESIDENT)
    assert reply.params == as_sent(RESIDENT, smalltalk.unreadable(holder.kb))


async def test_a_5000_character_message_is_asked_to_be_shorter(bot, holder):
    text = ("我想问一下租房补贴的事情。" * 400)[:5000]
    [reply] = await bot.say(RESIDENT, text)
    assert reply.params == as_sent(RESIDENT, smalltalk.too_long(holder.kb))


async def test_html_in_user_text_comes_back_escaped(bot):
    [reply] = await bot.say(RESIDENT, "/project <b>x</b>")
    assert reply.params["parse_mode"] == "HTML"
    assert reply.params["text"].startswith("没找到“&lt;b&gt;x&lt;/b&gt;”对应的项目。")
    assert "<b>" not in reply.params["text"]
    [reply] = await bot.say(RESIDENT, "/subscribe <i>&amp;")
    assert reply.params["text"].startswith("没找到“&lt;i&gt;&amp;amp;”对应的项目。")
    [reply] = await bot.say(RESIDENT, "<b>x</b>")
    assert "<b>" not in reply.params["text"]


async def test_project_command_by_number_and_by_words(bot, holder):
    kb = holder.kb
    [by_number] = await bot.say(RESIDENT, "/project 7")
    assert by_number.params == as_sent(RESIDENT, projects.answer(kb, kb.project(7), "overview", []))
    [by_words] = await bot.say(RESIDENT, "/project 租房补贴")
    assert by_words.params["text"] == by_number.params["text"]
    [missing] = await bot.say(RESIDENT, "/project 99")
    assert missing.params == sent(RESIDENT, "没有第99项。", [[("浏览全部项目", "list")]])
    [usage] = await bot.say(RESIDENT, "/project")
    assert usage.params["text"].startswith("用法：/project 5")


async def test_unknown_command_and_unknown_button_still_get_an_answer(bot, api, holder):
    [reply] = await bot.say(RESIDENT, "/frobnicate")
    assert reply.params == as_sent(RESIDENT, smalltalk.help_text(holder.kb))
    [menu] = await bot.say(RESIDENT, "/list")
    [answer] = await bot.press(RESIDENT, "no-such-action", on=menu)
    assert api.of("answerCallbackQuery")  # the spinner stops
    assert answer.params == as_sent(RESIDENT, browse.categories(holder.kb))


async def test_each_users_messages_are_answered_in_order(bot, api, holder):
    other = 77
    for n in range(1, 6):
        api.push(
            callback_update(
                other,
                f"a:{n}:overview",
                {"message_id": 1, "date": 0, "chat": {"id": other, "type": "private"}},
            )
        )
        api.push(text_update(RESIDENT, f"第{n}项"))
    mine = await api.wait_for("sendMessage", 5, chat_id=RESIDENT)
    theirs = await api.wait_for("sendMessage", 5, chat_id=other)
    for calls in (mine, theirs):
        titles = [c.params["text"].split("】")[0] for c in calls]
        assert titles == [f"【第{n}项 {holder.kb.project(n).title}" for n in range(1, 6)]
