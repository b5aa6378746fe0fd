"""`python -m bot run` with a wechat section serves the WeChat endpoint on the shared web server."""

from __future__ import annotations

import asyncio

import aiohttp
from wechat_support import FakeWeChat, message_xml, wechat_config

from bot.cli.run import channel_problem, serve
from bot.config import Config


async def test_run_serves_wechat_without_telegram(holder, tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    # Port 0: the OS picks a free port (the schema wants 1..65535 from people, so bypass it).
    wx = wechat_config(listen="127.0.0.1").wechat.model_copy(update={"port": 0})
    config = Config(wechat=wx, database={"url": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"})
    assert channel_problem(config) is None
    stop, ready = asyncio.Event(), asyncio.Event()
    running = {}

    def on_ready(what):
        running.update(what)
        ready.set()

    server = asyncio.create_task(serve(config, holder, stop, on_ready))
    try:
        await asyncio.wait_for(ready.wait(), 30)
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
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
