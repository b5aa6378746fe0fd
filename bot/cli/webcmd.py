"""`web`: serve the resident chat page on embedded defaults (a local try-out), or with --config."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.channels.web.settings import WebConfig
from bot.cli.common import config_of, holder_of


def register(sub) -> None:
    p = sub.add_parser(
        "web", help="serve the web chat page (http://127.0.0.1:8080/chat by default)"
    )
    p.add_argument("--listen", help="address to listen on (default: web.listen, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: web.port, 8080)")
    p.set_defaults(func=run_web)


def run_web(args) -> int:
    from bot.cli.run import _serve_until_signal

    config = config_of(args)
    web = config.web or WebConfig()
    changes = {"enabled": True}
    if args.listen:
        changes["listen"] = args.listen
    if args.port:
        changes["port"] = args.port
    config = config.model_copy(update={"web": web.model_copy(update=changes)})
    holder = holder_of(args, config)
    logging.getLogger().setLevel(config.log_level)
    w = config.web
    print(f"民心通网页版 web chat: http://{w.listen}:{w.port}{w.path}", file=sys.stderr)
    try:
        asyncio.run(_serve_until_signal(config, holder))
    except OSError as e:  # the port is taken, most often
        print(f"启动失败 start-up failed: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0
