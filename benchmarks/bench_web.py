"""Web chat benchmark: the JSON API and the WeChat endpoint side by side, then the page in Chromium.

One bot process (`python -m bot run --config <tmp>` with a wechat and a web section on one port,
SQLite by default) serves both. 50 concurrent clients play WeChat's servers (signed XML, one
openid each), then 50 concurrent browsers' worth of web sessions (page, history, then questions
as JSON with the session cookie and CSRF token), each asking the same questions one after another.
Then headless Chromium (Debian's package) opens the page in fresh profiles: first paint and the
first answer drawn. Gzipped page weight is printed too. With --screenshots DIR it also writes
the README's pictures (phone, 长辈模式, embedded).

Run: .venv/bin/python benchmarks/bench_web.py [--clients 50] [--per-client 40] [--database URL]
     [--renders 5] [--screenshots docs]
Prints figures; asserts nothing. The web section's flood limits are raised for the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from bench_wechat import QUESTIONS, TOKEN, cpu_seconds, free_port, percentile, sign, text_xml

ROOT = Path(__file__).resolve().parents[1]
SITE_PORT = free_port()  # the "district website" of the embedding screenshot, allowed to embed
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARGS += ["--disable-component-update", "--no-first-run", "--disable-sync"]


async def wechat_client(session, url, n, per_client, latencies, ids) -> None:
    for i in range(per_client):
        ts, nonce = str(int(time.time())), secrets.token_hex(5)
        params = {"timestamp": ts, "nonce": nonce, "signature": sign(TOKEN, ts, nonce)}
        body = text_xml(f"oWebBench{n:04d}", QUESTIONS[(n + i) % len(QUESTIONS)], next(ids))
        t = time.perf_counter()
        async with session.post(url, params=params, data=body) as r:
            text = await r.text()
        latencies.append(time.perf_counter() - t)
        if r.status != 200 or "<Content>" not in text:
            raise RuntimeError(f"unexpected WeChat reply {r.status}: {text[:200]}")


async def web_client(session, base, n, per_client, latencies) -> None:
    """One resident: the page (cookie, CSRF token), the history, then questions one by one.
    The cookie goes in by hand, like the WeChat client's raw XML: aiohttp's cookie jar and
    json= cost this client more CPU than the server spends answering."""
    async with session.get(base) as r:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', await r.text()).group(1)
        cookie = r.headers["Set-Cookie"].split(";")[0]
    headers = {"X-CSRF-Token": csrf, "Origin": base.split("/chat")[0], "Cookie": cookie}
    headers["Content-Type"] = "application/json"
    async with session.get(base + "/api/history", headers=headers) as r:
        await r.read()
    for i in range(per_client):
        body = json.dumps({"text": QUESTIONS[(n + i) % len(QUESTIONS)]}).encode()
        t = time.perf_counter()
        async with session.post(base + "/api/message", data=body, headers=headers) as r:
            raw = await r.read()
        latencies.append(time.perf_counter() - t)
        if r.status != 200 or b'"who": "bot"' not in raw:
            raise RuntimeError(f"unexpected web reply {r.status}: {raw[:200]!r}")


async def load(port: int, clients: int, per_client: int, pid: int) -> dict:
    """Warm both up, then WeChat and web in turn against the same process."""
    wx, page = f"http://127.0.0.1:{port}/wechat", f"http://127.0.0.1:{port}/chat"
    ids = iter(range(7_100_000_000_000_000_000, 8_000_000_000_000_000_000))
    out = {}
    connector = aiohttp.TCPConnector(limit=clients)
    jar = aiohttp.DummyCookieJar()  # each web client carries its own cookie
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as session:
        warm: list[float] = []
        await asyncio.gather(*(wechat_client(session, wx, n, 3, warm, ids) for n in range(clients)))
        await asyncio.gather(
            *(web_client(session, page, 1000 + n, 3, warm) for n in range(clients))
        )
        for name in ("wechat", "web"):
            latencies: list[float] = []
            cpu, t = cpu_seconds(pid), time.perf_counter()
            if name == "wechat":
                jobs = (
                    wechat_client(session, wx, n, per_client, latencies, ids)
                    for n in range(clients)
                )
            else:
                jobs = (web_client(session, page, n, per_client, latencies) for n in range(clients))
            await asyncio.gather(*jobs)
            elapsed = time.perf_counter() - t
            out[name] = {
                "ms": [x * 1000 for x in latencies],
                "elapsed": elapsed,
                "cpu": cpu_seconds(pid) - cpu,
            }
    return out


def report(title: str, r: dict) -> None:
    ms, elapsed, cpu = r["ms"], r["elapsed"], r["cpu"]
    print(
        f"  {title:<34} p50 {percentile(ms, 50):6.1f} ms   p99 {percentile(ms, 99):6.1f} ms   "
        f"{len(ms) / elapsed:5.0f} msg/s   {cpu / len(ms) * 1000:.2f} ms CPU/msg"
    )


def renders(url: str, n: int, shots: Path | None) -> None:
    """First paint and first answer drawn, in fresh Chromium profiles; optional screenshots."""
    from playwright.sync_api import expect, sync_playwright

    paint, drawn = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        for _ in range(n):
            context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
            page = context.new_page()
            page.goto(url, wait_until="commit")
            page.wait_for_selector("#log li.bot")
            drawn.append(page.evaluate("() => performance.now()"))
            paint.append(
                page.evaluate(
                    "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
                )
                or float("nan")
            )
            context.close()
        print(
            f"first render in headless Chromium (375x667, fresh profile, median of {n}): "
            f"first paint {statistics.median(paint):.0f} ms, welcome answer drawn "
            f"{statistics.median(drawn):.0f} ms after navigation start"
        )
        if shots is not None:
            screenshots(browser, url, shots, expect)
        browser.close()


def _scroll_to(page, locator) -> None:
    """Put an entry just under the sticky title bar."""
    locator.evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.pageYOffset"
        " - document.querySelector('.top').offsetHeight - 8)"
    )


def screenshots(browser, url: str, out: Path, expect) -> None:
    out.mkdir(parents=True, exist_ok=True)
    phone = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
    context = browser.new_context(**phone, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.goto(url)
    page.fill("#q", "养老床位有多少张")
    page.press("#q", "Enter")
    answer = page.locator("#log li.bot").last
    expect(answer).to_contain_text("406")
    answer.get_by_role("button", name="查看原文").click()
    expect(answer.locator("blockquote")).to_be_visible()
    _scroll_to(page, page.locator("#log li.me").last)
    page.screenshot(path=str(out / "web-chat-phone.png"))
    page.get_by_role("button", name="长辈模式：关").click()
    page.fill("#q", "口袋公园建在哪")
    page.press("#q", "Enter")
    expect(page.locator("#log li.bot").last).to_contain_text("口袋公园")
    page.locator("#q").blur()
    _scroll_to(page, page.locator("#log li.me").last)
    page.screenshot(path=str(out / "web-chat-elder.png"))
    context.close()

    import http.server
    import threading

    site = (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>区政府网站</title></head>"
        "<body style='font-family:sans-serif;margin:40px'><h1>某区人民政府（示例网站）</h1>"
        "<p>这是嵌入示例：页面上只加了一行 script 标签。</p>"
        f"<script src='{url}/embed.js' defer></script></body></html>"
    ).encode()

    class Site(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(site)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", SITE_PORT), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context(viewport={"width": 1024, "height": 720}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{SITE_PORT}/")
    page.get_by_role("button", name="问民心通").click()
    expect(page.frame_locator("iframe").locator("#log")).to_contain_text("我能回答")
    page.screenshot(path=str(out / "web-chat-embed.png"))
    context.close()
    server.shutdown()
    print(f"screenshots written to {out}/web-chat-{{phone,elder,embed}}.png")


def weight(url: str) -> None:
    import gzip
    import urllib.request

    total = 0
    html = urllib.request.urlopen(url).read()
    parts = {"page": len(gzip.compress(html, 9))}
    for name in re.findall(rb'(?:href|src)="([^"]+/static/[^"]+)"', html):
        req = urllib.request.Request(
            url.split("/chat")[0] + name.decode(), headers={"Accept-Encoding": "gzip"}
        )
        parts[name.decode().split("/")[-1].split("?")[0]] = len(urllib.request.urlopen(req).read())
    total = sum(parts.values())
    listed = ", ".join(f"{k} {v / 1024:.1f}" for k, v in parts.items())
    print(f"page weight, gzip: {total / 1024:.1f} KB in all ({listed}); budget 60 KB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--per-client", type=int, default=40)
    ap.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--renders", type=int, default=5)
    ap.add_argument(
        "--screenshots", type=Path, help="write the README screenshots into this folder"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        db_url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        flood = {"max_messages": 10_000, "ip_max_messages": 1_000_000}
        config = {
            "database": {"url": db_url},
            "knowledge": {"watch": False},
            "log_level": "WARNING",
            "wechat": {"token": TOKEN, "app_id": "wxbench", "port": port, "path": "/wechat"},
            "web": {
                "port": port,
                "allowed_origins": [f"http://127.0.0.1:{SITE_PORT}"],
                "session_secret": secrets.token_urlsafe(24),
                "flood": flood,
            },
        }
        cfg = Path(tmp) / "config.yaml"
        cfg.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
        env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
        cmd = [sys.executable, "-m", "bot", "--config", str(cfg), "run"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        try:
            from bench_wechat import wait_ready

            asyncio.run(wait_ready(f"http://127.0.0.1:{port}/healthz", proc))
            result = asyncio.run(load(port, args.clients, args.per_client, proc.pid))
            url = f"http://127.0.0.1:{port}/chat"
            weight(url)
            if shutil.which("chromium") and args.renders:
                renders(url, args.renders, args.screenshots)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    engine = db_url.split(":", 1)[0]
    load_avg = os.getloadavg()[0]
    print(
        f"{args.clients} concurrent clients x {args.per_client} questions per channel, one bot "
        f"process ({engine}); machine load average {load_avg:.1f} on {os.cpu_count()} cores"
    )
    report("WeChat endpoint (signed XML):", result["wechat"])
    report("web chat JSON API (cookie+CSRF):", result["web"])


if __name__ == "__main__":
    main()
