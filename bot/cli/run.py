"""`run`: serve residents on every configured channel (Telegram, WeChat) until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import logging
import signal
import sys
from collections.abc import Callable

from bot.channels.telegram import channel as telegram
from bot.cli.common import config_of, holder_of
from bot.config import Config
from bot.kbholder import KBHolder
from bot.services import Services
from bot.storage import Database
from bot.storage.progress import ProgressRepo
from bot.storage.qlog import QuestionLogRepo
from bot.storage.subscriptions import SubscriptionRepo
from bot.web import WebServer

log = logging.getLogger(__name__)

NO_CHANNEL = (
    "没有配置任何渠道 no channel configured: set telegram.token in the config file or the "
    "TELEGRAM_BOT_TOKEN environment variable (or add a wechat section)."
)


def register(sub) -> None:
    p = sub.add_parser("run", help="run the bot on the configured channels (Telegram, WeChat)")
    # Also accepted after the command (`python -m bot run --config config.yaml`); SUPPRESS
    # keeps a value given before the command when none is given after it.
    p.add_argument("--config", default=argparse.SUPPRESS, help="config YAML")
    p.add_argument("--knowledge", default=argparse.SUPPRESS, help="knowledge folder")
    p.add_argument("--year", type=int, default=argparse.SUPPRESS, help="year to serve")
    p.set_defaults(func=run)


def run(args) -> int:
    config = config_of(args)  # a wrong key or type stops here, by name, exit 2
    problem = channel_problem(config)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    holder = holder_of(args, config)
    logging.getLogger().setLevel(config.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Bot API call otherwise
    try:
        asyncio.run(_serve_until_signal(config, holder))
    except Exception as e:  # e.g. a token Telegram rejects: one line, not a traceback
        log.debug("start-up failed", exc_info=True)
        print(f"启动失败 start-up failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


def channel_problem(config: Config) -> str | None:
    """Why this config cannot serve anyone, in one line; None when it can."""
    if not config.telegram_token and config.wechat is None:
        return NO_CHANNEL
    if config.telegram_token and config.telegram.mode == "webhook" and not config.telegram.webhook:
        return "配置错误 config error: telegram.webhook is required when telegram.mode is webhook"
    return None


async def _serve_until_signal(config: Config, holder: KBHolder) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, stop.set)
    await serve(config, holder, stop)


async def _watch_knowledge(holder: KBHolder, stop: asyncio.Event) -> None:
    """Without Telegram (a WeChat-only deployment) staff edits still go live, and are logged."""
    from bot.reload import Reloader

    async def logged(result) -> None:
        for line in result.errors:
            log.warning("knowledge reload rejected: %s", line)

    await Reloader(holder).watch(logged, stop)


def build_services(config: Config, holder: KBHolder, db: Database) -> Services:
    """Everything the dialogue may use, on the started database."""
    services = Services(holder, subscriptions=SubscriptionRepo(db))
    services.progress = ProgressRepo(db)  # admins' /progress entries in residents' answers
    # What residents asked, under an HMAC of their key: the staff inbox and stats read it.
    services.question_log = QuestionLogRepo.from_config(db, config, batch_seconds=0.5)
    return services


async def serve(
    config: Config,
    holder: KBHolder,
    stop: asyncio.Event,
    on_ready: Callable[[dict], None] | None = None,
) -> None:
    """Start storage and every configured channel; run until `stop` is set; stop in reverse.

    `on_ready` receives what is running (for tests): {"services", "db", "web", "telegram"},
    plus "watcher" (the knowledge watcher task) when Telegram is not configured.
    """
    db = Database(config.database.url)
    await db.start()
    services = build_services(config, holder, db)
    await services.question_log.start()  # a secret exists; expired questions purged
    web = WebServer()
    running: dict = {"services": services, "db": db, "web": web, "telegram": None}
    tg_app = None
    try:
        token = config.telegram_token
        if token:
            tg_app = telegram.build_application(config, services, token, db)
            await telegram.prepare(tg_app, config, web)
            running["telegram"] = tg_app

        # ---- WeChat channel (issue 5): adds its routes to the shared web app -----------------
        if config.wechat is not None:
            if importlib.util.find_spec("bot.channels.wechat.channel") is None:
                raise SystemExit("config has a wechat section but this build has no WeChat channel")
            from bot.channels.wechat import channel as wechat

            wechat.setup(web.app, services, config, db)
            web.listen(config.wechat.listen, config.wechat.port)

        if web.needed:
            await web.start()
        if tg_app is not None:
            await telegram.go_live(tg_app, config)  # its admin tools also watch knowledge/
        elif config.knowledge.watch:
            running["watcher"] = asyncio.create_task(_watch_knowledge(holder, stop))
        if on_ready is not None:
            on_ready(running)
        log.info("民心通 running; stop with Ctrl+C")
        await stop.wait()
    finally:
        if "watcher" in running:
            running["watcher"].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running["watcher"]
        if tg_app is not None:
            await telegram.stop(tg_app)
        await web.stop()
        await services.question_log.close()  # the last half second of questions
        await db.close()
