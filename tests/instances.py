"""Several instances of the bot in one test process: real App objects, each with its own web
server, on one PostgreSQL database and one Redis (a per-test key prefix, deleted afterwards).

Skipped with the reason when TEST_DATABASE_URL is unset or Redis does not answer a ping.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest

from bot.app import App
from bot.config import Config
from bot.storage import Database

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WEBHOOK_SECRET = "instances-Secret_token"
WECHAT_PATH = "/wechat"


async def require_pg_and_redis() -> None:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: several instances need PostgreSQL")
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as e:
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({type(e).__name__})")
    finally:
        await client.aclose()


def instance_config(prefix: str, api=None, hook_port: int = 0, **extra) -> Config:
    from wechat_support import wechat_config

    wx = wechat_config(listen="127.0.0.1", **extra.pop("wechat", {})).wechat
    data = {
        "database": {"url": PG_URL},
        "redis": {"url": REDIS_URL, "prefix": prefix},
        "knowledge": {"watch": False},
    }
    if api is not None:
        data["telegram"] = {
            "token": api.token,
            "base_url": api.base_url,
            "mode": "webhook",
            "webhook": {
                "url": "https://minxin.example.org/telegram/hook",
                "listen": "127.0.0.1",
                "port": hook_port,
                "path": "/telegram/hook",
                "secret_token": WEBHOOK_SECRET,
            },
            **extra.pop("telegram", {}),
        }
    data.update(extra)
    config = Config.model_validate(data)
    # Port 0: the OS picks a free port (the schema wants 1..65535 from people, so bypass it).
    return config.model_copy(update={"wechat": wx.model_copy(update={"port": 0})})


@contextlib.asynccontextmanager
async def instances(holder, n: int = 2, api=None, **extra):
    """n running Apps sharing PostgreSQL and Redis; yields them, stops them, cleans Redis."""
    from conftest import wipe_postgres
    from tgharness import free_port

    await require_pg_and_redis()
    db = Database(PG_URL)
    await wipe_postgres(db)
    await db.close()
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    apps: list[App] = []
    try:
        for _ in range(n):  # one after another: the first runs the migrations
            own = holder() if callable(holder) else holder  # a factory: a KB per instance
            app = App(instance_config(prefix, api, free_port(), **extra), own)
            apps.append(app)
            await app.start()
        yield apps
    finally:
        for app in reversed(apps):
            await app.stop()
        import redis.asyncio as aioredis

        client = aioredis.from_url(REDIS_URL)
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def wechat_url(app: App) -> str:
    hook = app.config.telegram.webhook
    hook_port = hook.port if hook is not None else None
    host, port = next((h, p) for h, p in app.web.bound if p != hook_port)
    return f"http://{host}:{port}{WECHAT_PATH}"


def hook_url(app: App) -> str:
    port = app.config.telegram.webhook.port
    return f"http://127.0.0.1:{port}/telegram/hook"
