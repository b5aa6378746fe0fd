"""Every Telegram update shape PTB accepts is handled without a traceback: a button without
data, text that is a number, entities past the end, no sender... and the bot keeps answering."""

from __future__ import annotations

import logging

import pytest
from tgharness import config_for, running_bot
from tghostile import hostile_updates

RESIDENT = 4242


@pytest.fixture
async def bot(api, holder, tmp_path):
    config = config_for(api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", admins=[1])
    async with running_bot(api, holder, config) as running:
        yield running


async def test_odd_shapes_get_no_traceback_and_the_next_question_is_answered(bot, api, caplog):
    caplog.set_level(logging.WARNING)
    for update in hostile_updates(RESIDENT):
        api.push(update)
    [reply] = await bot.say(RESIDENT + 1, "租房补贴怎么申请")
    assert reply.params["text"].startswith("【第7项 提高住房保障水平】\n租房补贴申请审核：")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]
    assert "抱歉，出了点问题" not in " ".join(api.texts())
