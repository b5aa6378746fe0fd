"""After /forget nothing in any table says who the resident was or what they wrote: not their
Telegram id, not their name, not the address they typed — audit log included."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy import MetaData, select
from test_admin_telegram import admin_config, named
from tgharness import running_bot
from tgupdates import text_update

RESIDENT, NAME, ADDRESS = 987654321, "王秀英", "万东路88号3门"


async def every_value(db) -> str:
    """Every value in every table of the database, as one text to grep."""
    meta = MetaData()
    async with db.engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        parts = []
        for table in meta.sorted_tables:
            for row in await conn.execute(select(table)):
                parts.append(f"{table.name}: {tuple(row)}")
    return "\n".join(parts)


@pytest.fixture
async def bot(api, holder, tmp_path):
    config = admin_config(api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with running_bot(api, holder, config) as running:
        yield running


async def say(bot, text: str) -> str:
    [reply] = await bot.push_and_wait(named(text_update(RESIDENT, text), NAME), RESIDENT)
    return reply.params["text"]


async def test_forget_leaves_no_id_name_or_message_text_in_any_table(bot):
    await say(bot, f"我家在{ADDRESS}，万东路修好了吗")
    await say(bot, "/subscribe 9")
    assert (await say(bot, f"/progress 9 50% 我家在{ADDRESS}")).startswith("无权限")
    assert (await say(bot, f"/broadcast all {ADDRESS}停水")).startswith("无权限")
    await bot.services.question_log.flush()
    db = bot.running["db"]
    before = await every_value(db)
    assert ADDRESS in before and str(RESIDENT) in before  # the data is there to be forgotten

    assert (await say(bot, "/forget")).startswith("已删除您在民心通的全部数据")
    await bot.services.question_log.flush()
    after = await every_value(db)
    pseudonym = hmac.new(b"test-secret", f"tg:{RESIDENT}".encode(), hashlib.sha256).hexdigest()
    for trace in (str(RESIDENT), NAME, ADDRESS, pseudonym[:24]):
        assert trace not in after, trace
    assert "refused" in after and "已删除" in after  # the attempts stay on record, anonymous
