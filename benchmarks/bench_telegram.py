"""Telegram end to end: updates per second through the fake Bot API, our bot vs a PTB echo bot,
each on both network layers (PTB's default httpx, and our aiohttp transport).

All bots run the same way in this process (python-telegram-bot Application, long polling,
the same number of concurrent updates) against one fake Bot API server in a separate process, so
the server's own CPU is not counted against any bot. Each round pushes N text updates
(residents' questions from the held-out set, spread over many users) and times until N replies
were sent. Every round runs all four, in turn (echo/httpx, ours/httpx, echo/aiohttp,
ours/aiohttp); medians are printed with CPU milliseconds per update spent in this process (the
bot's own cost) and the ratios that matter: ours vs an echo bot on the same transport, and ours
now (aiohttp) vs ours before (httpx). Our bot does all it does in production: routing, dialogue
context, the question log (batched every 0.5 s) and the reachability row of each new user
(write-behind), on a fresh SQLite file; started as `run` starts it (the heap settled and frozen
once it serves, bot/heap.py). Our KB lives in this process for every bot, frozen from the start,
so no bot's collections scan it.

Run: .venv/bin/python benchmarks/bench_telegram.py [--updates 2000] [--users 200] [--rounds 5]
       [--diagnose]
(prints figures; asserts nothing). --diagnose adds two bots to every round, both ours on aiohttp
and both diagnostics, never the figure (real residents do not repeat the benchmark's 220
questions): each distinct text answered once and that reply reused, which is what our bot costs
around its answers (intake, durable inbox, gates, question log, sending) and so what the answers
cost; and each distinct text routed once and that analysis reused, which is what the answers
cost besides understanding the words (dialogue context, handlers, the question log).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402
from tgupdates import text_update  # noqa: E402

from bot import heap  # noqa: E402
from bot.channels.telegram.channel import CONCURRENT_UPDATES  # noqa: E402
from bot.channels.telegram.request import AiohttpRequest  # noqa: E402
from bot.cli.run import serve  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.kbholder import KBHolder  # noqa: E402

TOKEN = "123456789:TEST-token_for_the_fake_api"


def questions() -> list[str]:
    path = ROOT / "tests" / "data" / "router_holdout.jsonl"
    return [json.loads(x)["text"] for x in path.read_text("utf-8").splitlines() if x.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    """tests/fakebotapi.py in its own process, driven over its /_fake control routes."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FakeServer:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "fakebotapi.py"), "--port", str(self.port)],
            stdout=subprocess.PIPE,
        )
        self.proc.stdout.readline()  # "fake Bot API on ..." once it listens
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()
        self.proc.terminate()
        self.proc.wait(10)

    async def clear(self) -> None:
        await self.http.post(f"{self.base}/_fake/clear")

    async def push(self, updates: list[dict]) -> None:
        for i in range(0, len(updates), 500):
            await self.http.post(f"{self.base}/_fake/push", json=updates[i : i + 500])

    async def wait(self, method: str, count: int) -> None:
        q = {"method": method, "count": str(count), "timeout": "300"}
        resp = await self.http.get(f"{self.base}/_fake/wait", params=q)
        if resp.status != 200:
            raise RuntimeError(await resp.text())


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


async def run_echo(server: FakeServer, updates: list[dict], transport: str) -> tuple[float, float]:
    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{server.base}/bot")
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if transport == "aiohttp":  # exactly as our bot builds it
        builder.request(AiohttpRequest(connection_pool_size=CONCURRENT_UPDATES + 8))
        builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling()
        result = await timed(server, updates)
        await app.updater.stop()
        await app.stop()
    return result


class _AnswerOnce:
    """Conversation.handle replaced, for one run, by the first reply it gave to each text
    (kept across runs: a warm-up run answers every question once)."""

    replies: dict = {}

    def __enter__(self):
        from bot.conversation import Conversation

        self.cls, self.real, replies = Conversation, Conversation.handle, self.replies

        async def handle(conversation, msg):
            if msg.text not in replies:
                replies[msg.text] = await self.real(conversation, msg)
            return replies[msg.text]

        Conversation.handle = handle
        return self

    def __exit__(self, *exc) -> None:
        self.cls.handle = self.real


class _RouteOnce:
    """Router.analyse replaced, for one run, by the first analysis it gave of each text."""

    analyses: dict = {}

    def __enter__(self):
        from bot.router import Router

        self.cls, self.real, analyses = Router, Router.analyse, self.analyses

        def analyse(router, text):
            if text not in analyses:
                analyses[text] = self.real(router, text)
            return analyses[text]

        Router.analyse = analyse
        return self

    def __exit__(self, *exc) -> None:
        self.cls.analyse = self.real


DIAGNOSTICS = {"reused": _AnswerOnce, "routed": _RouteOnce}


async def run_ours(
    server: FakeServer, updates: list[dict], holder: KBHolder, transport: str
) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.model_validate(
            {
                "database": {"url": f"sqlite+aiosqlite:///{tmp}/bench.db"},
                "telegram": {
                    "token": TOKEN,
                    "base_url": f"{server.base}/bot",
                    "transport": transport,
                },
                "knowledge": {"watch": False},
                "privacy": {"hmac_secret": "bench-secret"},
            }
        )
        stop, ready = asyncio.Event(), asyncio.Event()

        def started(_running) -> None:  # as `python -m bot run` starts (bot/cli/run.py)
            heap.settle()
            ready.set()

        task = asyncio.create_task(serve(config, holder, stop, on_ready=started))
        await ready.wait()
        result = await timed(server, updates)
        stop.set()
        await task
    return result


async def timed(server: FakeServer, updates: list[dict]) -> tuple[float, float]:
    """Push the updates, wait for one reply each; (updates per second, CPU ms per update)."""
    await server.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    await server.push(updates)
    await server.wait("sendMessage", len(updates))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(updates) / wall, cpu * 1000 / len(updates)


def make_updates(n: int, users: int, round_no: int) -> list[dict]:
    qs = questions()
    out = []
    for i in range(n):
        user = 10_000 * (round_no + 1) + i % users  # fresh users each round: no warm context
        out.append({"update_id": 1 + round_no * n + i, **text_update(user, qs[i % len(qs)])})
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--diagnose", action="store_true", help="also: ours, answers reused")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    holder = KBHolder()
    # Every bot here runs beside our KB (~95,000 objects): frozen, as `run` freezes it once it
    # serves (bot/heap.py), the collector's full passes do not scan it during any bot's run.
    heap.settle()
    kinds = [(bot, t) for t in ("httpx", "aiohttp") for bot in ("echo", "ours")]
    if args.diagnose:
        kinds += [("reused", "aiohttp"), ("routed", "aiohttp")]
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {k: [] for k in kinds}
    async with FakeServer() as server:
        for t in ("httpx", "aiohttp"):  # warm-up: imports, connections
            await run_echo(server, make_updates(200, 50, 99), t)
        if args.diagnose:  # every question answered (and routed) once, before any measured run
            for diagnostic in DIAGNOSTICS.values():
                with diagnostic():
                    await run_ours(
                        server, make_updates(len(questions()), 50, 98), holder, "aiohttp"
                    )
        for r in range(args.rounds):
            updates = make_updates(args.updates, args.users, r)
            for bot, t in kinds:
                if bot == "echo":
                    figures[bot, t].append(await run_echo(server, updates, t))
                elif bot == "ours":
                    figures[bot, t].append(await run_ours(server, updates, holder, t))
                else:
                    with DIAGNOSTICS[bot]():
                        figures[bot, t].append(await run_ours(server, updates, holder, t))
            print(
                f"round {r + 1}: "
                + ", ".join(f"{b}/{t} {figures[b, t][-1][0]:.0f}/s" for b, t in kinds)
                + f"  (load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    med = {k: (statistics.median(x for x, _ in v), statistics.median(c for _, c in v))
           for k, v in figures.items()}  # fmt: skip
    print(f"\n{args.updates} updates from {args.users} users per round, {args.rounds} rounds")
    names = {"echo": "PTB echo bot", "ours": "民心通 bot  ", "reused": "民心通, answers reused",
             "routed": "民心通, routing reused"}  # fmt: skip
    for b, t in kinds:
        print(
            f"{names[b]} on {t:<7}: {med[b, t][0]:7.0f} updates/s   {med[b, t][1]:.2f} ms CPU/update"
        )
    for t in ("httpx", "aiohttp"):
        (eu, ec), (ou, oc) = med["echo", t], med["ours", t]
        print(f"ours / echo on {t:<7}: CPU {oc / ec:.2f}x, wall {eu / ou:.2f}x   (target <= 1.5x)")
    (hu, hc), (au, ac) = med["ours", "httpx"], med["ours", "aiohttp"]
    print(f"ours aiohttp / ours httpx: updates/s {au / hu:.2f}x (target >= 2x), CPU {ac / hc:.2f}x")
    if args.diagnose:
        (_, ec), (_, rc), (_, gc) = (med[k, "aiohttp"] for k in ("echo", "reused", "routed"))
        print(f"diagnostic, ours with answers reused / echo on aiohttp: CPU {rc / ec:.2f}x; "
              f"the answers themselves: {ac - rc:.2f} ms CPU/update")  # fmt: skip
        print(f"diagnostic, ours with routing reused / echo on aiohttp: CPU {gc / ec:.2f}x; "
              f"routing itself: {ac - gc:.2f} ms, the rest of the answers: {gc - rc:.2f} ms "
              f"CPU/update")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
