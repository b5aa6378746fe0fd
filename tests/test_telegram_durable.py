"""SIGKILL a real `python -m bot run` mid-burst, in polling and webhook mode, against the fake
Bot API: after a restart every acknowledged update is answered, and none is answered twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import aiohttp
from fakebotapi import FakeBotAPI
from tgharness import free_port
from tgupdates import next_update_id, text_update

ROOT = Path(__file__).resolve().parents[1]
USERS = range(5000, 5120)  # one question each: a chat with two answers was answered twice
SECRET = "durable-secret"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def write_config(tmp_path: Path, api: FakeBotAPI, port: int | None) -> Path:
    cfg = tmp_path / "config.yaml"
    text = (
        f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'bot.db'}\n"
        "knowledge:\n  watch: false\n"
        f"telegram:\n  token: '{api.token}'\n  base_url: {api.base_url}\n"
    )
    if port is not None:
        text += (
            "  mode: webhook\n  webhook:\n    url: https://minxin.example.org/hook\n"
            f"    listen: 127.0.0.1\n    port: {port}\n    path: /hook\n"
            f"    secret_token: {SECRET}\n"
        )
    cfg.write_text(text, encoding="utf-8")
    return cfg


async def start(cfg: Path, api: FakeBotAPI, ready_method: str) -> asyncio.subprocess.Process:
    before = len(api.of(ready_method))
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(cfg),
        cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await api.wait_for(ready_method, before + 1, timeout=60)
    return proc


async def kill(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGKILL)
    await proc.communicate()


async def stop(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return err.decode()


def answers_per_chat(api: FakeBotAPI) -> Counter:
    return Counter(int(c.chat_id) for c in api.of("sendMessage", ok=True))


def in_flight(tmp_path: Path) -> int:
    """Updates whose reply had begun when the process was killed (marked 'sending', not
    handled): each may or may not have reached Telegram, and is never answered again."""
    import sqlite3

    with sqlite3.connect(tmp_path / "bot.db") as conn:
        [(n,)] = conn.execute(
            "SELECT count(*) FROM telegram_inbox WHERE sending_at IS NOT NULL AND handled_at IS NULL"
        )
    return n


def assert_once_and_bounded(api: FakeBotAPI, lost_at_most: int) -> None:
    """Nobody answered twice; the only possible losses are the replies in flight at the kill."""
    per_chat = answers_per_chat(api)
    assert all(per_chat[u] == 1 for u in per_chat), per_chat
    missing = [u for u in USERS if per_chat[u] == 0]
    assert len(missing) <= lost_at_most, (missing, lost_at_most)


async def test_polling_sigkill_mid_burst_loses_nothing_and_repeats_nothing(tmp_path):
    async with FakeBotAPI() as api:
        cfg = write_config(tmp_path, api, None)
        proc = await start(cfg, api, "getUpdates")
        for user in USERS:
            api.push(text_update(user, "万东路修好了吗"))
        await api.wait_for("sendMessage", 20, timeout=60)  # mid-burst
        await kill(proc)
        answered_before = len(api.of("sendMessage", ok=True))
        assert answered_before < len(USERS)  # the kill did land mid-burst

        flying = in_flight(tmp_path)
        assert flying <= 32  # at most the updates handled at once
        proc = await start(cfg, api, "getUpdates")
        await api.wait_for("sendMessage", len(USERS) - flying, timeout=90)
        err = await stop(proc)
    assert_once_and_bounded(api, flying)
    assert "Traceback" not in err


async def test_webhook_sigkill_mid_burst_loses_no_acknowledged_update(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    updates = [{"update_id": next_update_id(), **text_update(u, "万东路修好了吗")} for u in USERS]
    acknowledged: set[int] = set()

    async def deliver(http: aiohttp.ClientSession, batch: list[dict]) -> None:
        async def one(update: dict) -> None:
            try:
                async with http.post(url, json=update, headers={HEADER: SECRET}) as r:
                    if r.status == 200:
                        acknowledged.add(update["update_id"])
            except aiohttp.ClientError:
                pass  # not acknowledged: Telegram would deliver it again

        await asyncio.gather(*(one(u) for u in batch))

    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        cfg = write_config(tmp_path, api, port)
        proc = await start(cfg, api, "setWebhook")
        sender = asyncio.create_task(deliver(http, updates))
        await api.wait_for("sendMessage", 20, timeout=60)  # mid-burst
        await kill(proc)
        await sender
        answered_then = len(api.of("sendMessage", ok=True))
        assert answered_then < len(acknowledged)  # acknowledged, not yet answered, then killed

        flying = in_flight(tmp_path)
        assert flying <= 32  # at most the updates handled at once
        proc = await start(cfg, api, "setWebhook")
        # Telegram redelivers what got no 200; we redeliver the acknowledged ones as well:
        # they must not be answered a second time.
        await deliver(http, updates)
        await api.wait_for("sendMessage", len(USERS) - flying, timeout=90)
        err = await stop(proc)
    assert acknowledged == {u["update_id"] for u in updates}
    assert_once_and_bounded(api, flying)
    assert "Traceback" not in err


async def test_sigterm_right_after_a_burst_keeps_every_question_in_the_log(tmp_path):
    import sqlite3

    async with FakeBotAPI() as api:
        cfg = write_config(tmp_path, api, None)
        proc = await start(cfg, api, "getUpdates")
        for user in USERS[:40]:
            api.push(text_update(user, "万东路修好了吗"))
        await api.wait_for("sendMessage", 40, timeout=60)
        await stop(proc)  # within the question log's half-second batch
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        [(count,)] = conn.execute("SELECT count(*) FROM question_log WHERE text = '万东路修好了吗'")
    assert count == 40


async def test_updates_stored_before_a_stop_are_handled_first_in_order(api, holder, tmp_path):
    import json

    from tgharness import config_for, running_bot

    from bot.storage import Database
    from bot.storage.inbox import Inbox

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    await db.start()
    inbox = Inbox(db)
    first, second, begun = (
        {"update_id": next_update_id(), **text_update(6001, text)}
        for text in ("/help", "/list", "/start")
    )
    await inbox.add(
        [(u["update_id"], json.dumps(u, ensure_ascii=False)) for u in (first, second, begun)]
    )
    await inbox.sending(begun["update_id"])  # its reply was going out when the process died
    await db.close()
    async with running_bot(api, holder, config_for(api, url)):
        api.push(text_update(6001, "租房补贴怎么申请"))  # arrives live, after the restart
        replies = await api.wait_for("sendMessage", 3, timeout=30, chat_id=6001)
    help_reply, menu, live = (r.params["text"] for r in replies)
    assert help_reply.startswith("我能回答")
    assert menu == "河东区2023年20项民心工程，请选择类别："
    assert live.startswith("【第7项 提高住房保障水平】")
    assert len(api.of("sendMessage")) == 3  # /start, begun before the stop, not answered again
