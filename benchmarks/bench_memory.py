"""Memory per user: RSS after N distinct users, then after idle minutes with the sweep running.

    python benchmarks/bench_memory.py [--users 200000] [--idle 600]

Each user writes one question through the real WeChat responder (wechatpy message objects,
the Conversation, router, pages, last_seen written to a real SQLite file) and passes
Telegram's flood gate, so every per-user cache holds them. Then the bot idles for --idle seconds with the periodic sweep (bot.sweep)
running as in `run`; RSS is printed at start-up, after the users, and every minute of idle.
Finally the caches are swept as if their TTLs had passed, to show the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time

from wechatpy import parse_message

from bot.app import build_core, build_services
from bot.channels.telegram.gate import FloodGate
from bot.channels.wechat.answer import Responder
from bot.channels.wechat.settings import WeChatConfig
from bot.config import Config
from bot.kbholder import KBHolder
from bot.storage import Database
from bot.sweep import sweep_forever, trim

QUESTIONS = [
    "租房补贴怎么申请",
    "万东路修好了吗",
    "民心工程有哪些",
    "失业金哪天开始涨",
    "你好",
    "养老",
]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def text_xml(openid: str, content: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
        f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
        f"</MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--idle", type=float, default=600.0, help="idle seconds after the users")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tmp = tempfile.TemporaryDirectory()
    config = Config.model_validate(
        {"database": {"url": f"sqlite+aiosqlite:///{tmp.name}/bench.db"},
         "privacy": {"hmac_secret": "bench-secret"}}
    )  # fmt: skip
    db = Database(config.database.url)
    await db.start()
    services = build_services(config, KBHolder(), db)
    services.question_log = None  # what is measured is memory per user, not the log
    core = build_core(config, services, db)
    responder = Responder(core, WeChatConfig(token="bench-token", app_id="wxbench0000000000"))
    gate = FloodGate(20, 60.0)
    services.caches.append(gate)
    await responder.respond(parse_message(text_xml("o-warm", "你好", 1)))
    start = rss_mb()
    print(f"start-up (KB, router, libraries loaded): {start:.0f} MB", flush=True)
    t0 = time.perf_counter()
    for i in range(args.users):
        openid = f"o{i:027d}"  # 28 characters, like a real openid
        await responder.respond(parse_message(text_xml(openid, QUESTIONS[i % 6], 10 + i)))
        gate.check(i)
    filled = rss_mb()
    print(
        f"after {args.users} distinct users ({time.perf_counter() - t0:.0f} s): {filled:.0f} MB "
        f"({(filled - start) * 1024 / args.users:.2f} KB/user); contexts {len(services.contexts)}",
        flush=True,
    )
    sweeper = asyncio.create_task(sweep_forever(services.caches))
    for minute in range(int(args.idle // 60)):
        await asyncio.sleep(60)
        print(
            f"idle {minute + 1} min: {rss_mb():.0f} MB, contexts {len(services.contexts)}",
            flush=True,
        )
    sweeper.cancel()
    far = time.monotonic() + 24 * 3600
    dropped = sum(c.sweep(far) for c in services.caches)
    trim()
    print(f"all TTLs passed: {dropped} entries swept, {rss_mb():.0f} MB (start-up {start:.0f} MB)")
    await db.close()
    tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
