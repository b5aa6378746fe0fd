"""Operations: /healthz and /readyz on the shared web server, and a shutdown (SIGTERM) that
lets the answers in flight reach the resident."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from tgharness import free_port
from wechat_support import FakeWeChat, wechat_config

from bot.app import App
from bot.config import Config


def _config(tmp_path, **extra) -> Config:
    wx = wechat_config(listen="127.0.0.1").wechat.model_copy(update={"port": free_port()})
    db = {"url": f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"}
    return Config(wechat=wx, database=db, knowledge={"watch": False}, **extra)


@contextlib.asynccontextmanager
async def _app(config, holder):
    app = App(config, holder)
    try:
        await app.start()
        yield app, f"http://127.0.0.1:{config.wechat.port}"
    finally:
        await app.stop()


async def test_readyz_reports_database_and_knowledge(holder, tmp_path):
    async with _app(_config(tmp_path), holder) as (_, base), aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as r:
            assert (r.status, await r.text()) == (200, "ok")
        async with http.get(base + "/readyz") as r:
            assert r.status == 200
            assert await r.json() == {
                "ready": True,
                "checks": {"database": True, "knowledge": True},
            }


async def test_readyz_is_503_while_redis_does_not_answer(holder, tmp_path):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    config = _config(tmp_path, redis={"url": dead})
    async with _app(config, holder) as (_, base), aiohttp.ClientSession() as http:
        async with http.get(base + "/readyz") as r:
            assert r.status == 503
            body = await r.json()
        assert body["checks"] == {"database": True, "redis": False, "knowledge": True}
        # Residents are still answered from this process's memory meanwhile.
        fake = FakeWeChat(http, base + "/wechat")
        assert (await fake.ask("oDown", "租房补贴怎么申请")).startswith(
            "【第7项 提高住房保障水平】"
        )


class HeldLog:
    """The real question log, holding the answer in flight until the test lets it go."""

    def __init__(self, inner):
        self.inner = inner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def record(self, msg, route, *rest, **extra) -> None:
        self.entered.set()
        await self.release.wait()
        await self.inner.record(msg, route, *rest, **extra)

    async def close(self) -> None:
        await self.inner.close()


async def test_shutdown_finishes_the_answer_in_flight(holder, tmp_path):
    config = _config(tmp_path)
    app = App(config, holder)
    await app.start()
    held = app.services.question_log = HeldLog(app.services.question_log)
    stopping = None
    try:
        async with aiohttp.ClientSession() as http:
            fake = FakeWeChat(http, f"http://127.0.0.1:{config.wechat.port}/wechat")
            asking = asyncio.ensure_future(fake.ask("oLast", "租房补贴怎么申请"))
            await asyncio.wait_for(held.entered.wait(), 10)
            stopping = asyncio.ensure_future(app.stop())  # what SIGTERM does
            while not app.web.draining:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)
            held.release.set()
            answer = await asyncio.wait_for(asking, 10)
            assert answer.startswith("【第7项 提高住房保障水平】\n租房补贴申请审核：")
            await asyncio.wait_for(stopping, 20)
    finally:
        held.release.set()
        if stopping is None:
            await app.stop()


async def test_a_second_process_on_the_same_sqlite_file_refuses_to_start(holder, tmp_path):
    import subprocess
    import sys

    import yaml

    from tests.conftest import ROOT

    config = _config(tmp_path)
    other_port = free_port()
    data = {
        "database": {"url": config.database.url},
        "knowledge": {"watch": False},
        "wechat": {"token": "t0ken-for-lock", "app_id": "wx1", "port": other_port},
    }
    (tmp_path / "second.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    async with _app(config, holder):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(tmp_path / "second.yaml"),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("启动失败 start-up failed: AlreadyRunning: another process (pid ")
    assert f"is already serving {tmp_path / 'ops.db'}; stop it first" in lines[0]
    # Once the first has stopped, the file is free again.
    async with _app(config, holder) as (app, _):
        assert app.web.bound
