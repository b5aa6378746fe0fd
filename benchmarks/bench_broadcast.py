"""Broadcast benchmark: 10,000 subscribers through the real sender (PTB Bot, SQLite outbox) to the
fake Bot API in its own process, which enforces a token bucket and answers 429 + retry_after.

Run: .venv/bin/python benchmarks/bench_broadcast.py [--n 10000] [--limit 300] [--db-url URL]
(--db-url must name an empty database; one with tables is refused unless --i-know is given,
and then this project's tables in it are dropped.)
Prints achieved rate / limit (target >= 0.9), 429s after the first second (target 0),
duplicates (0) and lost (0). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchdb  # noqa: E402
from telegram import Bot  # noqa: E402

from bot.broadcast import BroadcastEngine, RateLimited  # noqa: E402
from bot.channels.telegram.request import AiohttpRequest  # noqa: E402
from bot.channels.telegram.sender import TelegramSender  # noqa: E402
from bot.config import BroadcastConfig  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage.broadcast import BroadcastRepo  # noqa: E402
from bot.storage.db import utcnow  # noqa: E402
from bot.storage.subscriptions import SubscriptionRepo, subscriptions, users  # noqa: E402

TOKEN = "123456789:BENCH-token_for_the_fake_api"
FIRST_CHAT = 10_000_000


class TimedSender:
    """The real Telegram sender, noting when each send went out and each 429 came back."""

    def __init__(self, inner: TelegramSender):
        self.inner = inner
        self.sent: list[float] = []
        self.limited: list[float] = []

    async def send(self, chat_id: str, text: str) -> None:
        try:
            await self.inner.send(chat_id, text)
        except RateLimited:
            self.limited.append(time.monotonic())
            raise
        self.sent.append(time.monotonic())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def control(port: int, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_fake/{path}", data=data)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def start_fake(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fakebotapi.py"), "--port", str(port),
         "--token", TOKEN],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            control(port, "stats")
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the fake Bot API did not start")


async def fill(db: Database, n: int) -> None:
    """n active subscribers to all projects, inserted in bulk."""
    now = utcnow()
    chats = range(FIRST_CHAT, FIRST_CHAT + n)
    async with db.engine.begin() as conn:
        await conn.execute(
            users.insert(),
            [
                dict(user_key=f"tg:{c}", channel="telegram", chat_id=str(c), active=True,
                     first_seen=now, last_seen=now)
                for c in chats
            ],
        )  # fmt: skip
        await conn.execute(
            subscriptions.insert(),
            [dict(user_key=f"tg:{c}", project=0, created_at=now) for c in chats],
        )


async def bench(args, port: int, db_url: str) -> None:
    if args.db_url:  # check() let it in: empty, or --i-know
        await benchdb.empty(db_url)
    db = Database(db_url)
    await db.start()
    await fill(db, args.n)
    subs = SubscriptionRepo(db)
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(None, "【进展通知】第9项 万东路全线通车", "bench", "bench")
    await repo.confirm(job_id, await subs.recipients(None))

    # the sender's Bot as the running bot builds it (AiohttpRequest: see telegram_request.py)
    request = AiohttpRequest(connection_pool_size=args.concurrency + 4)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await bot.initialize()
    sender = TimedSender(TelegramSender(bot))
    config = BroadcastConfig(rate_per_second=args.limit, concurrency=args.concurrency)
    engine = BroadcastEngine(repo, subs, {"telegram": sender}, config)

    t0 = time.monotonic()
    engine.start(job_id)
    await engine.wait(job_id)
    elapsed = time.monotonic() - t0
    counts = await repo.counts(job_id)
    await bot.shutdown()
    await db.close()
    if args.db_url:  # left empty, as it was found
        await benchdb.empty(db_url)

    stats = control(port, "stats")
    per_chat = Counter({int(k): v for k, v in stats["sent_per_chat"].items()})
    wanted = range(FIRST_CHAT, FIRST_CHAT + args.n)
    duplicates = sum(1 for c in wanted if per_chat[c] > 1)
    lost = sum(1 for c in wanted if per_chat[c] == 0)
    rate = len(sender.sent) / elapsed
    late_429 = sum(1 for t in sender.limited if t - t0 > 1.0)
    print(f"subscribers          {args.n}")
    print(f"server limit         {args.limit:.0f} msg/s (token bucket, burst {args.burst:.0f})")
    print(f"engine               rate {args.limit:.0f}/s, concurrency {args.concurrency}, "
          f"database {db_url.split(':')[0]}")  # fmt: skip
    print(f"elapsed              {elapsed:.2f} s")
    print(f"achieved rate        {rate:.1f} msg/s  = {rate / args.limit:.3f} of the limit")
    print(f"429s                 {len(sender.limited)} ({late_429} after the first second)")
    print(f"duplicates           {duplicates}")
    print(f"lost                 {lost}")
    print(f"outbox               {dict((k, v) for k, v in counts.items() if v)}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--limit", type=float, default=300.0, help="server and engine msg/s")
    p.add_argument("--burst", type=float, default=None, help="server bucket (default limit/10)")
    p.add_argument("--concurrency", type=int, default=32)
    benchdb.add_arguments(p)
    args = p.parse_args()
    if args.db_url:
        benchdb.check(args.db_url, args.i_know)  # refuses a database that has tables
    args.burst = args.burst or max(1.0, args.limit / 10)
    port = free_port()
    fake = start_fake(port)
    try:
        control(port, "configure", {"rate_limit": {"per_second": args.limit, "burst": args.burst}})
        with tempfile.TemporaryDirectory() as tmp:
            db_url = args.db_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            asyncio.run(bench(args, port, db_url))
    finally:
        fake.terminate()
        fake.wait(10)


if __name__ == "__main__":
    main()
