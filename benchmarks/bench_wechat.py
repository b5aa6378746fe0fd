"""WeChat endpoint benchmark: 50 concurrent "WeChat servers" posting signed text messages.

The bot runs as `python -m bot run --config <tmp>` in its own process (SQLite by default, or
--database URL), exactly as deployed; this process only plays WeChat. Each client is one resident
asking questions one after another; every request carries a fresh MsgId, nonce and signature.

Then the same clients against a bare aiohttp endpoint returning fixed XML, to show what the
machine and the client themselves cost.

Run: .venv/bin/python benchmarks/bench_wechat.py [--clients 50] [--per-client 40] [--database URL]
Prints p50/p90/p99 reply latency, throughput and the server's CPU per message; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
QUESTIONS = [
    "租房补贴怎么申请",
    "医保住院最高报多少",
    "万东路修好了吗",
    "谁能申请家庭养老床位",
    "口袋公园建在哪",
    "失业金几月开始涨",
    "民心工程有哪些",
    "新增多少停车泊位",
    "供热管网改造什么时候完工",
    "食品安全抽检多少批次",
    "老年助餐怎么收费",
    "你好",
    "护照怎么办",
    "帮助",
    "1",
    "订阅万东路的进展",
]
# Answers that go to the database on the way (admin progress entries; subscribing): the rest
# come from the knowledge base in memory.
USES_STORAGE = {"万东路修好了吗", "订阅万东路的进展"}


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text_xml(openid: str, content: str, msg_id: int) -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process so far (Linux /proc), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def client(session, url, n, per_client, latencies, ids) -> None:
    openid = f"oBench{n:04d}"
    for i in range(per_client):
        ts, nonce = str(int(time.time())), secrets.token_hex(5)
        params = {"timestamp": ts, "nonce": nonce, "signature": sign(TOKEN, ts, nonce)}
        question = QUESTIONS[(n + i) % len(QUESTIONS)]
        body = text_xml(openid, question, next(ids))
        t = time.perf_counter()
        async with session.post(url, params=params, data=body) as r:
            text = await r.text()
        latencies.append((time.perf_counter() - t, question in USES_STORAGE))
        if r.status != 200 or "<Content>" not in text:
            raise RuntimeError(f"unexpected reply {r.status}: {text[:200]}")


async def load(url: str, clients: int, per_client: int, pid: int) -> dict:
    """Warm up, then every client asks `per_client` questions; latencies, rate, bot CPU."""
    ids = iter(range(7_000_000_000_000_000_000, 8_000_000_000_000_000_000))
    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn) as session:
        warm: list[float] = []  # warm-up: connections, caches, SQLite pages
        await asyncio.gather(*(client(session, url, n, 3, warm, ids) for n in range(clients)))
        latencies: list[float] = []
        cpu, t = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(
            *(client(session, url, n, per_client, latencies, ids) for n in range(clients))
        )
        elapsed = time.perf_counter() - t
        return {
            "ms": [x * 1000 for x, _ in latencies],
            "kb_ms": [x * 1000 for x, db in latencies if not db],
            "db_ms": [x * 1000 for x, db in latencies if db],
            "elapsed": elapsed,
            "cpu": cpu_seconds(pid) - cpu,
        }


def report(title: str, r: dict, split: bool = True) -> None:
    ms, elapsed, cpu = r["ms"], r["elapsed"], r["cpu"]
    print(title)
    print(
        f"  reply latency  p50 {percentile(ms, 50):.1f} ms   p90 {percentile(ms, 90):.1f} ms   "
        f"p99 {percentile(ms, 99):.1f} ms   max {max(ms):.1f} ms"
    )
    for label, key in (("answers from the KB only", "kb_ms"), ("answers reading storage", "db_ms")):
        part = r[key]
        if split and part:
            print(
                f"    {label:<26} p50 {percentile(part, 50):.1f} ms   p99 {percentile(part, 99):.1f} ms"
                f"   ({len(part)} messages)"
            )
    print(
        f"  throughput     {len(ms) / elapsed:.0f} messages/s;  server process "
        f"{cpu / elapsed * 100:.0f}% of one core, {cpu / len(ms) * 1000:.2f} ms CPU per message"
    )


BARE_SERVER = """
import sys
from aiohttp import web
async def reply(request):
    await request.read()
    return web.Response(text="<xml><Content>ok</Content></xml>", content_type="application/xml")
async def ok(request):
    return web.Response(text="ok")
app = web.Application()
app.router.add_post("/wechat", reply)
app.router.add_get("/healthz", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


async def wait_ready(url: str, proc: subprocess.Popen) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"bot exited with {proc.returncode}")
            try:
                async with session.get(url) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("bot did not start")


def serve(cmd: list[str], port: int, clients: int, per_client: int) -> dict:
    """Start a server process, load it, stop it."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        asyncio.run(wait_ready(f"http://127.0.0.1:{port}/healthz", proc))
        return asyncio.run(load(f"http://127.0.0.1:{port}/wechat", clients, per_client, proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--per-client", type=int, default=40)
    ap.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    ap.add_argument(
        "--kb-only", action="store_true", help="leave out the questions that read storage"
    )
    args = ap.parse_args()
    if args.kb_only:
        QUESTIONS[:] = [q for q in QUESTIONS if q not in USES_STORAGE]
    n = args.clients * args.per_client
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        db_url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        config = {
            "database": {"url": db_url},
            "knowledge": {"watch": False},
            "log_level": "WARNING",
            "wechat": {"token": TOKEN, "app_id": "wxbench", "port": port, "path": "/wechat"},
        }
        cfg = Path(tmp) / "config.yaml"
        cfg.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
        prefix = os.environ.get("BENCH_SERVER_PREFIX", "").split()  # e.g. "-m cProfile -o x"
        bot = [sys.executable, *prefix, "-m", "bot", "--config", str(cfg), "run"]
        result = serve(bot, port, args.clients, args.per_client)
        bare_port = free_port()
        bare = [sys.executable, "-c", BARE_SERVER, str(bare_port)]
        baseline = serve(bare, bare_port, args.clients, args.per_client)
    engine = db_url.split(":", 1)[0]
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{args.clients} concurrent clients, {n} signed text messages each run ({engine}); "
        f"machine load average {load_avg:.1f} on {os.cpu_count()} cores"
    )
    report("bot (python -m bot run):", result)
    report("baseline: a bare aiohttp endpoint returning fixed XML, same clients:", baseline, False)


if __name__ == "__main__":
    main()
