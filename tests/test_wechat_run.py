"""`python -m bot run` with a wechat section serves the WeChat endpoint on the shared web server."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from wechat_support import FakeWeChat, message_xml, wechat_config

from bot.cli.run import channel_problem, serve
from bot.config import Config


def _wechat_only(tmp_path, **extra) -> Config:
    # Port 0: the OS picks a free port (the schema wants 1..65535 from people, so bypass it).
    wx = wechat_config(listen="127.0.0.1").wechat.model_copy(update={"port": 0})
    return Config(
        wechat=wx, database={"url": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"}, **extra
    )


@contextlib.asynccontextmanager
async def _serving(config: Config, holder):
    """`serve` as `run` starts it; yields what is running, stops it on the way out."""
    stop, ready = asyncio.Event(), asyncio.Event()
    running = {}

    def on_ready(what):
        running.update(what)
        ready.set()

    server = asyncio.create_task(serve(config, holder, stop, on_ready))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        yield running
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


async def test_run_serves_wechat_without_telegram(holder, tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    config = _wechat_only(tmp_path)
    wx = config.wechat
    assert channel_problem(config) is None
    async with _serving(config, holder) as running:
        host, port = running["web"].bound[0]
        async with aiohttp.ClientSession() as session:
            fake = FakeWeChat(session, f"http://{host}:{port}{wx.path}")
            params = fake.signed_query()
            params["echostr"] = "hello-wechat"
            assert await fake.get(params) == (200, "hello-wechat")
            reply = await fake.send("text", openid="oRun", content="订阅万东路的进展")
            assert reply.startswith("已订阅：第9项")
            status, _ = await fake.post(message_xml("text", openid="oRun", content="x"), {})
            assert status == 403
        subs = running["services"].subscriptions
        assert await subs.subscriptions("wx:oRun") == [9]


async def test_wechat_only_deployment_still_reloads_staff_edits(tmp_path, monkeypatch):
    """Without Telegram, knowledge edits still go live."""
    import shutil

    from bot.kbholder import KBHolder
    from tests.conftest import ROOT

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    kb_dir = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb_dir)
    holder = KBHolder(kb_dir)
    assert holder.router.route("小黄车停放点在哪").project is None
    config = _wechat_only(tmp_path, knowledge={"dir": str(kb_dir)})
    async with _serving(config, holder) as running:
        await asyncio.wait_for(running["app"].watch_ready.wait(), 10)
        f = kb_dir / "2023" / "10-tingche.yaml"
        for _ in range(100):  # the watcher needs a moment to be installed; edit until seen
            text = f.read_text(encoding="utf-8")
            if "小黄车停放点" not in text:
                f.write_text(
                    text.replace("aliases: [", "aliases: [小黄车停放点, ", 1), encoding="utf-8"
                )
            if holder.router.route("小黄车停放点在哪").project == 10:
                break
            await asyncio.sleep(0.2)
        assert holder.router.route("小黄车停放点在哪").project == 10
