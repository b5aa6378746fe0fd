"""`run`: parse the arguments, check the config names a channel, and serve (bot.app) until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from bot import heap
from bot.app import serve
from bot.channels import configured
from bot.cli.common import config_of, holder_of
from bot.config import Config
from bot.kbholder import KBHolder

log = logging.getLogger(__name__)

NO_CHANNEL = (
    "没有配置任何渠道 no channel configured: set telegram.token in the config file or the "
    "TELEGRAM_BOT_TOKEN environment variable (or add a wechat or web section)."
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
    if not configured(config):
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
    # Started: what start-up built stays out of the collector's full passes (bot.heap).
    await serve(config, holder, stop, on_ready=lambda _running: heap.settle())
