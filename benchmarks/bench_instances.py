"""Several instances on PostgreSQL + Redis: broadcast rate under one global limit, WeChat latency
with 1 and 2 instances, and what shared state costs per message. Prints figures; asserts nothing.

Each instance is a real `python -m bot run --config <tmp>` process. This process plays the
networks: a fake Bot API (tests/fakebotapi.py) answering 429 above --limit msg/s, and WeChat's
servers posting signed XML (tests/wechat_support.py). The database --db-url is EMPTIED first.

Run: TEST_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python benchmarks/bench_instances.py
       [--subscribers 10000] [--limit 100] [--counts 1,2,3] [--clients 50] [--per-client 20]
       [--rounds 3] [--redis URL] [--skip-wechat] [--skip-broadcast]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from fakebotapi import FakeBotAPI  # noqa: E402
from tgharness import free_port  # noqa: E402
from wechat_support import APP_ID, TOKEN, FakeWeChat  # noqa: E402

from bot.storage import Database  # noqa: E402
from bot.storage.broadcast import BroadcastRepo  # noqa: E402

QUESTIONS = [
    "租房补贴怎么申请",
    "那能领多少钱",
    "1",
    "医保住院最高报多少",
    "民心工程有哪些",
    "更多",
]


def config(
    tmp: Path, name: str, db_url: str, redis: str | None, prefix: str, api=None, limit=30
) -> Path:
    """One instance's config; every instance of a run gets the same Redis prefix (one
    deployment: one budget, one set of contexts)."""
    port = free_port()
    data = {
        "database": {"url": db_url},
        "knowledge": {"watch": False},
        "wechat": {"token": TOKEN, "app_id": APP_ID, "listen": "127.0.0.1", "port": port},
        "broadcast": {"rate_per_second": limit, "per_chat_interval": 0, "concurrency": 16},
        "log_level": "WARNING",
    }
    if redis:
        data["redis"] = {"url": redis, "prefix": prefix}
    if api is not None:
        data["telegram"] = {
            "token": api.token,
            "base_url": api.base_url,
            "mode": "webhook",
            "webhook": {
                "url": "https://bench.example/hook",
                "port": free_port(),
                "secret_token": "bench-secret-token",
            },
        }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def start(paths: list[Path]) -> list[tuple[subprocess.Popen, int]]:
    procs = []
    profile = os.environ.get("BENCH_PROFILE")  # a directory: each instance under cProfile
    for p in paths:
        port = yaml.safe_load(p.read_text(encoding="utf-8"))["wechat"]["port"]
        cmd = [sys.executable, "-m", "bot", "run", "--config", str(p)]
        if profile:
            cmd[1:1] = ["-m", "cProfile", "-o", f"{profile}/{p.stem}.prof"]
        proc = subprocess.Popen(cmd, cwd=ROOT)
        procs.append((proc, port))
    async with aiohttp.ClientSession() as s:
        for _, port in procs:
            for _ in range(300):
                try:
                    async with s.get(f"http://127.0.0.1:{port}/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
    return procs


def stop(procs) -> None:
    for proc, _ in procs:
        proc.terminate()
    for proc, _ in procs:
        proc.wait(30)


async def wipe(db_url: str) -> None:
    from conftest import wipe_postgres

    db = Database(db_url)
    await wipe_postgres(db)
    await db.start()
    await db.close()


async def broadcast_run(args, n: int, tmp: Path) -> dict:
    await wipe(args.db_url)
    async with FakeBotAPI() as api:
        api.set_rate_limit(args.limit, burst=max(1, args.limit / 4), retry_after=1)
        prefix = f"bench:{uuid.uuid4().hex[:6]}:"
        paths = [
            config(tmp, f"b{i}", args.db_url, args.redis, prefix, api, args.limit) for i in range(n)
        ]
        procs = await start(paths)
        try:
            db = Database(args.db_url)
            await db.start()
            repo = BroadcastRepo(db)
            job = await repo.create_draft(None, "第9项进展：万东路已通车。", "bench", "tg:1")
            chats = [str(100000 + i) for i in range(args.subscribers)]
            await repo.confirm(job, [(f"tg:{c}", "telegram", c) for c in chats])
            while not sum(api.sent_per_chat.values()):  # instances join within 2 s
                await asyncio.sleep(0.01)
            t0 = time.monotonic()
            limited_at_1s = None
            while (await repo.job(job)).state != "done":
                await asyncio.sleep(0.1)
                if limited_at_1s is None and time.monotonic() - t0 >= 1:
                    limited_at_1s = api.rate_limited
            seconds = time.monotonic() - t0
            counts = await repo.counts(job)
            stamps = [c.at for c in api.of("sendMessage", ok=True) if c.at >= t0 + 1]
            await db.close()
        finally:
            stop(procs)
            await forget_keys(args.redis, prefix)
    sent = sum(api.sent_per_chat.values())
    return {
        "instances": n,
        "sent": sent,
        "rows sent": counts["sent"],
        "seconds": round(seconds, 1),
        "rate": round(sent / seconds, 1),
        "of limit": round(sent / seconds / args.limit, 3),
        "429 total": api.rate_limited,
        "429 after 1st s": api.rate_limited - (limited_at_1s or 0),
        "max in any 1 s": busiest_second(stamps),
    }


def busiest_second(stamps: list[float]) -> int:
    """The most sends in any one-second window (sliding): the limit is never to be exceeded."""
    best, lo = 0, 0
    for hi, t in enumerate(stamps):
        while t - stamps[lo] >= 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def forget_keys(url: str, prefix: str) -> None:
    """The run's keys out of Redis."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def count_commands(url: str, prefix: str) -> int:
    """Redis commands touching this run's keys, seen with MONITOR until cancelled."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    seen = 0
    try:
        async with client.monitor() as m:
            async for info in m.listen():
                seen += prefix in info.get("command", "")
    except asyncio.CancelledError:
        pass
    finally:
        await client.aclose()
    return seen


async def wechat_run(args, n: int, redis: str | None, tmp: Path, monitor: bool = False) -> dict:
    await wipe(args.db_url)
    prefix = f"bench:{uuid.uuid4().hex[:6]}:"
    procs = await start([config(tmp, f"w{i}", args.db_url, redis, prefix) for i in range(n)])
    latencies: list[float] = []
    try:
        async with aiohttp.ClientSession() as s:
            fakes = [FakeWeChat(s, f"http://127.0.0.1:{port}/wechat") for _, port in procs]

            async def client(k: int) -> None:
                for i in range(args.per_client):
                    q = QUESTIONS[i % len(QUESTIONS)]
                    t = time.perf_counter()
                    await fakes[(k + i) % n].ask(f"oBench{k}", q)  # alternate instances
                    latencies.append(time.perf_counter() - t)

            await asyncio.gather(*(fakes[i].ask("oWarm", "你好") for i in range(n)))
            cpu0 = sum(cpu_seconds(p.pid) for p, _ in procs)
            commands = asyncio.create_task(count_commands(redis, prefix)) if monitor else None
            await asyncio.sleep(0.2 if monitor else 0)  # MONITOR is on before the first message
            t0 = time.perf_counter()
            await asyncio.gather(*(client(k) for k in range(args.clients)))
            wall = time.perf_counter() - t0
            cpu = sum(cpu_seconds(p.pid) for p, _ in procs) - cpu0
            if commands is not None:
                commands.cancel()
                seen = await commands
    finally:
        stop(procs)
        if redis:
            await forget_keys(redis, prefix)
    q = statistics.quantiles(latencies, n=100)
    out = {
        "instances": n,
        "redis": bool(redis),
        "messages": len(latencies),
        "msg/s": round(len(latencies) / wall, 1),
        "p50 ms": round(q[49] * 1000, 1),
        "p99 ms": round(q[98] * 1000, 1),
        "bot cpu ms/msg": round(cpu / len(latencies) * 1000, 2),
    }
    if monitor:
        out["redis commands/msg"] = round(seen / len(latencies), 2)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db-url", default=os.environ.get("TEST_DATABASE_URL"))
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--subscribers", type=int, default=10000)
    ap.add_argument("--limit", type=float, default=100)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--per-client", type=int, default=20)
    ap.add_argument("--skip-broadcast", action="store_true")
    ap.add_argument("--skip-wechat", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="WeChat rounds, side by side")
    ap.add_argument("--counts", default="1,2,3", help="instance counts for the broadcast")
    args = ap.parse_args()
    if not args.db_url or "postgresql" not in args.db_url:
        sys.exit("needs --db-url (or TEST_DATABASE_URL) of a PostgreSQL database to empty")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_wechat:
            print("WeChat, closed loop: each client alternates between the instances")
            runs = ((1, None), (1, args.redis), (2, args.redis))
            results: dict[tuple, list[dict]] = {r: [] for r in runs}
            for _ in range(args.rounds):  # side by side: A B C A B C ...
                for n, redis in runs:
                    results[(n, redis)].append(await wechat_run(args, n, redis, tmp))
                    print("   ", results[(n, redis)][-1], flush=True)
            print("  medians:")
            for r, rows in results.items():
                keys = ("msg/s", "p50 ms", "p99 ms", "bot cpu ms/msg")
                med = {k: round(statistics.median(x[k] for x in rows), 2) for k in keys}
                print("   ", {"instances": r[0], "redis": bool(r[1]), **med}, flush=True)
            print("  Redis commands per message (MONITOR on, untimed):")
            print("   ", await wechat_run(args, 1, args.redis, tmp, monitor=True), flush=True)
        if not args.skip_broadcast:
            print(f"Broadcast of {args.subscribers} under one global limit of {args.limit}/s")
            for n in map(int, args.counts.split(",")):
                print(" ", await broadcast_run(args, n, tmp), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
