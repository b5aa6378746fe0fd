"""WeChat endpoint benchmark: the bot as deployed vs a bare aiohttp endpoint, interleaved.

The bot runs as `python -m bot run --config <tmp>` in its own process (a fresh SQLite file per
run, or --db-url, emptied before each run); this process only plays WeChat's servers. Every
message carries a random MsgId (a rerun never meets the reply cache), a fresh nonce and
signature. Each repetition runs the bot, then the bare endpoint (fixed XML, same load): A B A B…

  open loop (default): Poisson arrivals at --rates msg/s from --users residents, whatever the
    replies do; latency counts from the *scheduled* send time, so a stall shows in full.
  closed loop (--closed): --clients residents each asking --per-client questions in turn.

Run: .venv/bin/python benchmarks/bench_wechat.py [--rates 200,400] [--seconds 15] [--users 2000]
       [--reps 3] [--closed --clients 50 --per-client 40] [--db-url URL [--i-know]]
Prints per run and as medians: p50/p99 latency, server CPU per message, errors the bot logged
(ERROR lines, tracebacks, UniqueViolation), and the client's own send lag. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import benchdb

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
QUESTIONS = [
    "租房补贴怎么申请",
    "医保住院最高报多少",
    "万东路修好了吗",  # reads admin progress entries from storage
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
    "订阅万东路的进展",  # writes a subscription: the one awaited write a resident asks for
]
USES_STORAGE = {"万东路修好了吗", "订阅万东路的进展"}  # the rest answer from the KB in memory
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


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process so far (Linux /proc), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def post(session, url: str, openid: str, question: str) -> bool:
    """True: answered; False: 'success' (over the bot's 4 s budget, answer sent later)."""
    ts, nonce = str(int(time.time())), secrets.token_hex(5)
    params = {"timestamp": ts, "nonce": nonce, "signature": sign(TOKEN, ts, nonce)}
    body = (
        "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{question}]]></Content><MsgId>{secrets.randbits(62)}</MsgId></xml>"
    ).encode()
    async with session.post(url, params=params, data=body) as r:
        text = await r.text()
    if r.status == 200 and text == "success":
        return False
    if r.status != 200 or "<Content>" not in text:
        raise RuntimeError(f"unexpected reply {r.status}: {text[:200]}")
    return True


async def open_loop(session, url: str, rate: float, seconds: float, users: int, seed: int):
    """Poisson arrivals; (latency from scheduled time, lag of the actual send) per message."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    at, out, tasks = start, [], []

    async def one(scheduled: float, openid: str, question: str) -> None:
        lag = loop.time() - scheduled
        ok = await post(session, url, openid, question)
        out.append((loop.time() - scheduled, lag, question in USES_STORAGE, ok))

    while at < start + seconds:
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        openid = f"oBench{seed}u{rng.randrange(users):05d}"
        tasks.append(asyncio.ensure_future(one(at, openid, rng.choice(QUESTIONS))))
        at += rng.expovariate(rate)
    await asyncio.gather(*tasks)
    return out


async def closed_loop(session, url: str, clients: int, per_client: int, seed: int):
    async def client(n: int) -> list[tuple[float, float]]:
        got = []
        for i in range(per_client):
            t = time.perf_counter()
            q = QUESTIONS[(n + i) % len(QUESTIONS)]
            ok = await post(session, url, f"oBench{seed}c{n:04d}", q)
            got.append((time.perf_counter() - t, 0.0, q in USES_STORAGE, ok))
        return got

    return [x for part in await asyncio.gather(*(client(n) for n in range(clients))) for x in part]


async def measure(port: int, pid: int, load, seed: int) -> dict:
    url = f"http://127.0.0.1:{port}/wechat"
    conn = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)  # WeChat itself gives up after 5 s
    async with aiohttp.ClientSession(connector=conn, timeout=timeout) as session:
        # warm-up: connections, caches, SQLite pages (other residents than the measured ones)
        await asyncio.gather(
            *(post(session, url, f"oWarm{i}", q) for i, q in enumerate(QUESTIONS * 4))
        )
        cpu, wall = cpu_seconds(pid), time.perf_counter()
        results = await load(session, url, seed)
        wall = time.perf_counter() - wall
        cpu = cpu_seconds(pid) - cpu
    ms = [r[0] * 1000 for r in results]
    kb = [r[0] * 1000 for r in results if not r[2]] or [0.0]
    return {
        "n": len(ms), "p50": pct(ms, 50), "p99": pct(ms, 99), "max": max(ms),
        "rate": len(ms) / wall, "cpu_ms": cpu * 1000 / len(ms), "core": cpu / wall,
        "kb99": pct(kb, 99), "lag99": pct([r[1] * 1000 for r in results], 99),
        "late": sum(1 for r in results if not r[3]),
    }  # fmt: skip


async def wait_ready(port: int, proc: subprocess.Popen) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("server did not start")


def errors_in(log: Path) -> int:
    text = log.read_text("utf-8", "replace")
    return sum(
        1 for line in text.splitlines() if "ERROR" in line or "Traceback" in line or "UniqueViolation" in line
    )  # fmt: skip


def run_server(cmd: list[str], port: int, load, seed: int, log: Path) -> dict:
    """Start a server process, load it, stop it; its figures and the errors it logged."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=err)
        try:
            asyncio.run(wait_ready(port, proc))
            result = asyncio.run(measure(port, proc.pid, load, seed))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result["errors"] = errors_in(log)
    if result["errors"]:
        kept = Path(tempfile.gettempdir()) / f"bench_wechat-{os.getpid()}-{log.stem}-{seed}.log"
        kept.write_bytes(log.read_bytes())
        print(f"  (the server logged errors: {kept})")
    return result


def bot_command(tmp: Path, db_url: str, port: int) -> list[str]:
    config = {
        "database": {"url": db_url},
        "knowledge": {"watch": False},
        "log_level": "WARNING",
        "privacy": {"hmac_secret": "bench-secret"},
        "wechat": {"token": TOKEN, "app_id": "wxbench", "port": port, "path": "/wechat"},
    }
    cfg = tmp / "config.yaml"
    cfg.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    prefix = os.environ.get("BENCH_SERVER_PREFIX", "").split()  # e.g. "-m cProfile -o x"
    return [sys.executable, *prefix, "-m", "bot", "--config", str(cfg), "run"]


def line(label: str, r: dict) -> str:
    return (
        f"  {label:<10} p50 {r['p50']:6.1f} ms  p99 {r['p99']:7.1f} ms  max {r['max']:7.1f} ms  "
        f"{r['rate']:5.0f} msg/s  {r['cpu_ms']:.2f} ms CPU/msg ({r['core'] * 100:3.0f}% core)  "
        f"KB-only p99 {r['kb99']:6.1f} ms  client lag p99 {r['lag99']:5.1f} ms  "
        f"over 4 s {r['late']:.0f}  errors {r.get('errors', 0)}"
    )


def scenario(title: str, args, load, db_url: str | None, tmp: Path) -> None:
    print(f"\n{title}", flush=True)
    runs: dict[str, list[dict]] = {"bot": [], "bare": []}
    for rep in range(args.reps):
        url = db_url or f"sqlite+aiosqlite:///{tmp}/bench-{title[:8]}-{rep}.db"
        if db_url:
            asyncio.run(benchdb.empty(db_url))
        port = free_port()
        runs["bot"].append(
            run_server(bot_command(tmp, url, port), port, load, rep, tmp / "bot.log")
        )
        port = free_port()
        bare = [sys.executable, "-c", BARE_SERVER, str(port)]
        runs["bare"].append(run_server(bare, port, load, rep, tmp / "bare.log"))
        print(f" rep {rep + 1}, load average {os.getloadavg()[0]:.1f}", flush=True)
        for k in runs:
            print(line(k, runs[k][-1]), flush=True)
    med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in runs.items()}
    print(f" medians of {args.reps} paired runs")
    for k in runs:
        print(line(k, med[k]) + f" (sum over runs: {sum(r['errors'] for r in runs[k])})")
    b, z = med["bot"], med["bare"]
    print(f"  bot/bare   p50 {b['p50'] / z['p50']:.1f}x  p99 {b['p99'] / z['p99']:.1f}x  "
          f"CPU/msg {b['cpu_ms'] / z['cpu_ms']:.1f}x")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="200,400", help="open loop: messages per second, comma list")
    ap.add_argument("--seconds", type=float, default=15.0, help="open loop: length of each run")
    ap.add_argument("--users", type=int, default=2000, help="open loop: distinct residents")
    ap.add_argument("--closed", action="store_true", help="closed loop instead of open loop")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--per-client", type=int, default=40)
    ap.add_argument("--reps", type=int, default=3, help="paired runs (bot, bare) per scenario")
    benchdb.add_arguments(ap)
    args = ap.parse_args()
    if args.db_url:
        benchdb.check(args.db_url, args.i_know)
    engine = (args.db_url or "sqlite").split(":", 1)[0].split("+")[0]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; database {engine}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.closed:

            def load(s, u, seed):  # the same residents and questions for bot and bare
                return closed_loop(s, u, args.clients, args.per_client, seed)

            title = f"closed loop: {args.clients} clients x {args.per_client} messages ({engine})"
            scenario(title, args, load, args.db_url, Path(tmp))
        for rate in [] if args.closed else [float(x) for x in args.rates.split(",")]:

            def load(s, u, seed, rate=rate):  # the same arrival schedule for bot and bare
                return open_loop(s, u, rate, args.seconds, args.users, seed)

            title = f"open loop: Poisson {rate:.0f} msg/s, {args.users} users, {args.seconds:.0f} s ({engine})"
            scenario(title, args, load, args.db_url, Path(tmp))
        if args.db_url:
            asyncio.run(benchdb.empty(args.db_url))  # left empty, as it was found


if __name__ == "__main__":
    main()
