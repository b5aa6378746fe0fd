"""Run the whole bot (`bot.app.serve`, as `python -m bot run` does) against the fake Bot API, and talk to it like a resident.

    async with running_bot(api, holder, db_url) as bot:
        [reply] = await bot.say(42, "/start")        # pushes the update, waits for the reply
        reply.params["text"], reply.params["reply_markup"]

Ignored updates are checked with a barrier: send them, then a message that is answered; replies
to one user come in order, so once the barrier is answered the ignored ones were dealt with.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass

from fakebotapi import Call, FakeBotAPI
from tgupdates import callback_update, text_update

from bot.app import serve
from bot.config import Config
from bot.kbholder import KBHolder

START_TIMEOUT = 20.0
REPLY_TIMEOUT = 20.0  # generous: a noisy CI machine must not flake


@dataclass
class RunningBot:
    api: FakeBotAPI
    running: dict

    @property
    def services(self):
        return self.running["services"]

    @property
    def web(self):
        return self.running["web"]

    async def push_and_wait(self, update: dict, chat_id: int, expect: int = 1) -> list[Call]:
        """Push one update; return the `expect` delivered sendMessage calls to chat_id it caused."""
        before = len(self.api.of("sendMessage", chat_id, ok=True))
        self.api.push(update)
        calls = await self.api.wait_for(
            "sendMessage", before + expect, REPLY_TIMEOUT, chat_id, ok=True
        )
        return calls[before:]

    async def say(self, user_id: int, text: str, expect: int = 1, **kw) -> list[Call]:
        chat_id = kw.get("chat_id", user_id)
        return await self.push_and_wait(text_update(user_id, text, **kw), chat_id, expect)

    async def press(self, user_id: int, data: str, on: Call, expect: int = 1) -> list[Call]:
        """Press a button with `data` on the bot message that `on` (a sendMessage call) made."""
        return await self.push_and_wait(callback_update(user_id, data, on.result), user_id, expect)

    async def press_and_wait_edit(self, user_id: int, data: str, on: Call) -> Call:
        before = len(self.api.of("editMessageText"))
        self.api.push(callback_update(user_id, data, on.result))
        calls = await self.api.wait_for("editMessageText", before + 1, REPLY_TIMEOUT)
        return calls[before]


def config_for(api: FakeBotAPI, db_url: str, **telegram) -> Config:
    data = {
        "database": {"url": db_url},
        "telegram": {"token": api.token, "base_url": api.base_url, **telegram},
        # These transcripts check the channel's rendering of handler replies; the privacy
        # notices and 有用/没用 rows on top of them are checked in tests/test_privacy_*.py.
        "privacy": {"notices": False},
        "feedback": {"buttons": False},
    }
    return Config.model_validate(data)


@contextlib.asynccontextmanager
async def running_bot(api: FakeBotAPI, holder: KBHolder, config: Config):
    """Start the bot as `python -m bot run` does; stop it (and surface its errors) on exit."""
    stop, ready, box = asyncio.Event(), asyncio.Event(), {}

    def on_ready(running: dict) -> None:
        box.update(running)
        ready.set()

    task = asyncio.create_task(serve(config, holder, stop, on_ready=on_ready))
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait(
        {task, waiter}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED"
    )
    if task in done:
        waiter.cancel()
        task.result()  # raises what stopped start-up
        raise RuntimeError("the bot stopped during start-up")
    if waiter not in done:
        task.cancel()
        raise TimeoutError("the bot did not start")
    try:
        yield RunningBot(api, box)
    finally:
        stop.set()
        await asyncio.wait_for(task, START_TIMEOUT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sent(chat_id: int, html: str, rows: list[list[tuple[str, str]]] | None = None) -> dict:
    """The exact sendMessage parameters the bot uses for an HTML reply."""
    params = {
        "chat_id": chat_id,
        "text": html,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if rows:
        params["reply_markup"] = {"inline_keyboard": keyboard(rows)}
    return params


def keyboard(rows: list[list[tuple[str, str]]]) -> list[list[dict]]:
    return [[{"text": label, "callback_data": data} for label, data in row] for row in rows]


def rows_of(reply) -> list[list[tuple[str, str]]]:
    """A Reply's buttons as (label, action) rows, for building expected keyboards."""
    return [[(b.label, b.action) for b in row] for row in reply.buttons]
