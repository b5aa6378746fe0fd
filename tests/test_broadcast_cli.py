"""`python -m bot broadcast`: an admin without any chat channel previews a notice, confirms it,
watches it go out to subscribers (the fake Bot API stands in for Telegram), and reads the report."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from bot.cli import main
from bot.storage import Database
from bot.storage.broadcast import BroadcastRepo
from bot.storage.subscriptions import SubscriptionRepo


@pytest.fixture
async def setup(api, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    await db.start()
    subs = SubscriptionRepo(db)
    for chat, project in ((42, 9), (43, None), (44, 5)):
        await subs.touch_user(f"tg:{chat}", "telegram", str(chat))
        await subs.subscribe(f"tg:{chat}", project)
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": url},
                "telegram": {"token": api.token, "base_url": api.base_url},
                "broadcast": {"status_interval": 0.2},
            }
        ),
        encoding="utf-8",
    )
    yield str(config), db
    await db.close()


async def cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def test_preview_yes_progress_and_report(setup, api, capsys):
    config, db = setup
    rc = await cli(
        "broadcast", "9", "万东路本周六上午通车", "--yes", "--by", "王主任", "--config", config
    )
    out = capsys.readouterr().out.split("\n")
    assert rc == 0, out
    assert out[:6] == [
        "广播预览 #1",
        "对象：第9项 建设城市市政道路（订阅了该项目或全部项目的居民）",
        "收件人：2 人（Telegram 2）",
        "————",
        "万东路本周六上午通车",
        "————",
    ]
    assert any(line.startswith("已发送 ") and "/2 " in line for line in out)  # the bar
    report = out[out.index("广播 #1（第9项 建设城市市政道路）发送完毕") :]
    assert report[:5] == [
        "广播 #1（第9项 建设城市市政道路）发送完毕",
        "共 2 人",
        "已送达 2",
        "已屏蔽或不存在 0",
        "失败 0",
    ]
    assert {c.params["chat_id"] for c in api.of("sendMessage")} == {42, 43}
    assert [c.params["text"] for c in api.of("sendMessage")] == ["万东路本周六上午通车"] * 2

    assert await cli("broadcast", "status", "1", "--config", config) == 0
    assert capsys.readouterr().out.startswith("广播 #1（第9项 建设城市市政道路）发送完毕\n共 2 人")
    assert await cli("broadcast", "cancel", "1", "--config", config) == 1
    assert capsys.readouterr().out.strip() == "广播 #1 不在发送中，无需停止。"


async def test_without_yes_and_no_terminal_nothing_is_sent(setup, api, capsys):
    config, db = setup
    assert await cli("broadcast", "all", "明天停水", "--config", config) == 1
    captured = capsys.readouterr()
    assert "收件人：3 人（Telegram 3）" in captured.out
    assert "未确认：加 --yes 直接发送。" in captured.err
    assert "已取消广播 #1，没有发送。" in captured.out
    assert api.of("sendMessage") == []
    [job] = await BroadcastRepo(db).recent_jobs()
    assert job.state == "discarded"


async def test_a_target_that_names_no_project_is_refused_with_the_usage(setup, capsys):
    config, _ = setup
    assert await cli("broadcast", "99", "通知", "--yes", "--config", config) == 1
    assert capsys.readouterr().out.startswith("没有第99项。\n用法：/broadcast")
