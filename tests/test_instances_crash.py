"""Three `python -m bot run` processes on one PostgreSQL and one Redis; one is SIGKILLed in the
middle of a broadcast, another in the middle of residents' WeChat conversations. The survivor
finishes the broadcast (everyone gets it; the only repeats are sends in flight at the kills) and
the residents carry on with their topic, answered once per message, on the survivor.

This process plays the networks: a fake Bot API answering 429 above the deployment's limit, and
WeChat's servers (a message whose reply did not arrive is posted again, same MsgId, to another
instance, as WeChat retries). Skipped with the reason without PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import yaml
from conftest import wipe_postgres
from instances import PG_URL, REDIS_URL, require_pg_and_redis
from tgharness import free_port
from wechat_support import APP_ID, TOKEN, FakeWeChat, message_xml

from bot.storage import Database
from bot.storage.broadcast import BroadcastRepo

ROOT = Path(__file__).resolve().parents[1]
SUBSCRIBERS = 3000
RATE = 150  # msg/s: the deployment's budget, and where the fake Bot API starts answering 429
CONCURRENCY = 16
LEASE = 10  # seconds before a dead instance's rows are sent again (30 by default)
TIMEOUT = 50.0
TITLE7 = "【第7项 提高住房保障水平】"
# A resident's conversation: the follow-up names no project, so it needs the shared topic.
TURNS = [
    ("租房补贴怎么申请", TITLE7 + "\n租房补贴申请审核："),
    ("那能领多少钱", TITLE7 + "\n原文未说明租房补贴的金额和发放方式。"),
]
RESIDENTS = 12
THINK = 0.3  # seconds between a resident's messages (people read the answer first)


def _config(tmp: Path, name: str, api, prefix: str) -> tuple[Path, int]:
    port = free_port()
    data = {
        "database": {"url": PG_URL},
        "redis": {"url": REDIS_URL, "prefix": prefix},
        "knowledge": {"watch": False},
        "wechat": {"token": TOKEN, "app_id": APP_ID, "listen": "127.0.0.1", "port": port},
        "telegram": {
            "token": api.token,
            "base_url": api.base_url,
            "mode": "webhook",
            "webhook": {
                "url": "https://minxin.example.org/telegram/hook",
                "listen": "127.0.0.1",
                "port": free_port(),
                "secret_token": "crash-Secret_token",
            },
        },
        "broadcast": {
            "rate_per_second": RATE,
            "per_chat_interval": 0,
            "concurrency": CONCURRENCY,
            "lease": LEASE,
        },
        "log_level": "WARNING",
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path, port


async def _start(config: Path, log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config),
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


async def _ready(http: aiohttp.ClientSession, port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError(f"instance on port {port} not ready")


async def _until(condition, deadline: float, what) -> None:
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what if isinstance(what, str) else await what())
        await asyncio.sleep(0.05)


async def _forget_keys(prefix: str) -> None:
    """This run's keys out of the shared Redis."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


class Resident:
    """One person chatting on WeChat; their messages go to `home` until it stops answering,
    then (like WeChat's retries behind a load balancer) to the survivor, same MsgId."""

    def __init__(self, openid: str, home: FakeWeChat, survivor: FakeWeChat):
        self.openid = openid
        self.home, self.survivor = home, survivor
        self.replies: list[tuple[str, str, str]] = []  # (question, expected start, reply)
        self.retried = 0  # messages whose first delivery got no reply (the kill)
        self.open = False  # a message posted to `home` and not yet answered

    async def say(self, question: str, expected: str) -> None:
        xml = message_xml("text", openid=self.openid, content=question)
        fake = self.home
        for _ in range(6):  # WeChat tries 3 times; a dead instance's claim lapses after 6 s
            self.open = fake is self.home
            try:
                status, body = await fake.post(xml)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                status, body = 0, ""
            finally:
                self.open = False
            if status == 200 and body != "success":
                reply = body.split("<Content><![CDATA[", 1)[1].split("]]></Content>", 1)[0]
                self.replies.append((question, expected, reply))
                return
            self.retried += 1
            self.home = fake = self.survivor
            await asyncio.sleep(1.0)
        self.replies.append((question, expected, "(no reply)"))

    async def chat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for question, expected in TURNS:
                await self.say(question, expected)
                await asyncio.sleep(THINK)


async def test_three_instances_survive_sigkill_mid_broadcast_and_mid_conversation(api, tmp_path):
    await require_pg_and_redis()
    db = Database(PG_URL)
    await wipe_postgres(db)
    await db.start()  # migrations, before three processes race for them
    repo = BroadcastRepo(db)
    api.set_rate_limit(RATE, burst=RATE / 4, retry_after=1)
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    logs = [tmp_path / f"{n}.log" for n in "abc"]
    configs = [_config(tmp_path, n, api, prefix) for n in "abc"]
    procs = [await _start(path, log) for (path, _), log in zip(configs, logs, strict=True)]
    a, b, c = procs
    log_text = lambda: "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs)  # noqa: E731
    stop_chat = asyncio.Event()
    try:
        deadline = time.monotonic() + TIMEOUT
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=8)) as http:
            for _, port in configs:
                await _ready(http, port, deadline)
            t0 = time.monotonic()
            print(f"ready after {TIMEOUT - (deadline - t0):.1f}s")

            def mark(what: str) -> None:  # the timeline, printed with -s
                print(
                    f"{time.monotonic() - t0:5.1f}s {what}: sent {sent()}, 429s {api.rate_limited}"
                )

            wa, _, wc = (FakeWeChat(http, f"http://127.0.0.1:{port}/wechat") for _, port in configs)
            residents = [Resident(f"oCrash{i}", wc, wa) for i in range(RESIDENTS)]
            chats = [asyncio.create_task(r.chat(stop_chat)) for r in residents]

            sent = lambda: sum(api.sent_per_chat.values())  # noqa: E731
            chat_ids = list(range(700_000, 700_000 + SUBSCRIBERS))
            job = await repo.create_draft(None, "第9项进展：万东路已通车。", "staff", "tg:1")
            assert await repo.confirm(job, [(f"tg:{i}", "telegram", str(i)) for i in chat_ids])

            async def sent_at_least(n):
                return sent() >= n

            await _until(lambda: sent_at_least(500), deadline, "broadcast not under way")
            mark("kill b")
            b.send_signal(signal.SIGKILL)  # mid-broadcast: its claimed rows stay `sending`
            await b.wait()
            in_flight = await repo.in_flight(job)  # every instance's: an upper bound for b's

            async def answered_on_c():  # a few turns on c, then kill it with requests open
                return sum(len(r.replies) for r in residents) >= 3 * RESIDENTS

            await _until(answered_on_c, deadline, "residents not answered")
            await _until(lambda: sent_at_least(1200), deadline, "broadcast stalled")
            while not any(r.open for r in residents):  # kill it with a resident's message open
                await asyncio.sleep(0.002)
            open_at_kill = sum(r.open for r in residents)
            mark(f"kill c ({open_at_kill} WeChat messages open)")
            c.send_signal(signal.SIGKILL)  # mid-conversation (and mid-broadcast too)
            await c.wait()
            in_flight += await repo.in_flight(job)

            async def finished():
                return (await repo.job(job)).state == "done"

            await _until(finished, deadline, lambda: repo.counts(job))
            mark("done")
            stop_chat.set()
            await asyncio.wait_for(asyncio.gather(*chats), 30)
            assert a.returncode is None  # the survivor is alive and still ready
            await _ready(http, configs[0][1], time.monotonic() + 5)
    except BaseException:
        print(log_text())
        raise
    finally:
        stop_chat.set()
        for p in procs:
            if p.returncode is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            await asyncio.wait_for(p.wait(), 30)
        counts = await repo.counts(job) if "job" in locals() else {}
        await db.close()
        await _forget_keys(prefix)

    # Every subscriber got the broadcast; nothing confirmed was lost or left unresolved.
    assert [i for i in chat_ids if api.sent_per_chat[i] == 0] == []
    assert counts["sent"] == SUBSCRIBERS, counts
    repeats = sum(n - 1 for n in (api.sent_per_chat[i] for i in chat_ids) if n > 1)
    # A repeat is a send that left before its instance died, unrecorded: at most the rows in
    # flight at the kills, and never more than the two dead instances' concurrency.
    assert repeats <= in_flight, (repeats, in_flight)
    assert repeats <= 2 * CONCURRENCY
    # The residents were mid-conversation on c: each message answered, the topic kept across
    # the move to a; the messages open at the kill were answered by a (WeChat's retry).
    assert open_at_kill >= 1
    assert sum(r.retried for r in residents) >= open_at_kill
    for r in residents:
        for question, expected, reply in r.replies:
            assert reply.startswith(expected), (r.openid, question, reply)
    print(f"crash: {repeats} repeats, {in_flight} in flight at the kills, {api.rate_limited} 429s")
