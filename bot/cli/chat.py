"""`chat` (the console channel, on its own SQLite file) and `ask` (one question, one answer)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli.common import holder_of

if TYPE_CHECKING:
    from bot.app import App

PROMPT = "您> "
CONSOLE_DB = "sqlite+aiosqlite:///data/console.db"  # rehearsals never touch the bot's data


def register(sub) -> None:
    p = sub.add_parser("chat", help="the console channel: rehearse as a resident or an admin")
    p.add_argument("--config", default=argparse.SUPPRESS, help="config YAML")
    p.add_argument("--db", default=CONSOLE_DB, help=f"database URL (default {CONSOLE_DB})")
    p.add_argument("--as-admin", action="store_true", help="run admin commands (/progress …)")
    p.add_argument("--log", action="store_true", help="write questions to the question log")
    p.set_defaults(func=run_chat)
    p = sub.add_parser("ask", help="answer one question and exit")
    p.add_argument("question")
    p.set_defaults(func=run_ask)


def run_ask(args) -> int:
    # Only what one answer needs: no App, storage, web server or platform library.
    from bot.channels.console_render import USER, render
    from bot.dialogue import Dialogue
    from bot.models import Message
    from bot.services import Services

    services = Services(holder_of(args))
    msg = Message("console", f"console:{USER}", args.question)
    reply = _without_loop(Dialogue(services).respond(msg))
    if reply is None:  # something awaited I/O: ask again, from scratch, on a real event loop
        import asyncio

        reply = asyncio.run(Dialogue(Services(services.kb)).respond(msg))
    print(render(reply))
    return 0


def _without_loop(coro):
    """The result of a coroutine that never waits (no storage is configured here), without
    the event loop whose import alone costs ~25 ms; None if it did wait (it is closed)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    return None


def run_chat(args) -> int:
    import asyncio

    from bot.app import App
    from bot.cli.common import config_of
    from bot.config import DatabaseConfig, KnowledgeConfig

    config = config_of(args)
    holder = holder_of(args, config)
    config = config.model_copy(
        update={
            "database": DatabaseConfig(url=getattr(args, "db", CONSOLE_DB)),
            "knowledge": KnowledgeConfig(**{**config.knowledge.model_dump(), "watch": False}),
        }
    )
    app = App(config, holder, channels=["console"], question_log=getattr(args, "log", False))
    return asyncio.run(_chat(app, getattr(args, "as_admin", False)))


async def _chat(app: App, as_admin: bool) -> int:
    await app.start()
    import asyncio

    from bot.channels.console import USER

    try:
        if as_admin:
            app.core.roles.grant("console", USER)
        console = app.channel("console")
        interactive = sys.stdin.isatty()
        print("民心通：您好！请直接提问，输入“退出”结束。")
        while True:
            try:
                line = await asyncio.to_thread(input, PROMPT if interactive else "")
            except EOFError:
                break
            if line.strip() in ("退出", "exit", "quit"):
                break
            print("民心通：" + await console.say(line) + "\n", flush=True)
        print("再见！")
    finally:
        await app.stop()
    return 0
