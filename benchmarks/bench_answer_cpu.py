"""CPU of answering alone: WeChat's Responder on a real SQLite file, in this process, no HTTP.

The machine is shared and noisy, so besides CPU milliseconds per message (process time over the
loop: write-behind, question log and subscribe writes included) this can count *instructions*
per message under valgrind's callgrind, which does not depend on what else the machine is doing:
the run is made twice (no messages, then N) and the difference divided by N, so start-up cancels
out. With --base REV the same is counted for an earlier revision, from a temporary git worktree,
in the same run (A B): the ratio is the figure (benchmarks/instructions.py).

    .venv/bin/python benchmarks/bench_answer_cpu.py [--messages 3000] [--reps 5]
    .venv/bin/python benchmarks/bench_answer_cpu.py --callgrind [--messages 1000] [--base REV]

Messages: bench_wechat.py's questions (one in sixteen subscribes, one reads admin progress) from
2,000 residents, parsed by the channel's own XML path. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import instructions

ROOT = Path(__file__).resolve().parents[1]
WARM_UP = 300  # messages before measuring: caches, the first SQLite pages, every code path


async def _loop(n: int, seed: int = 1) -> float:
    """CPU milliseconds per message over n messages (0: start-up and warm-up only)."""
    sys.path[:0] = [str(Path.cwd()), str(ROOT / "benchmarks")]
    from bench_wechat import QUESTIONS

    from bot import heap
    from bot.app import build_core, build_services
    from bot.channels.wechat.answer import Responder
    from bot.channels.wechat.protocol import message_of, parse_tree
    from bot.config import Config
    from bot.kbholder import KBHolder
    from bot.storage import Database

    tmp = tempfile.mkdtemp(prefix="bench_answer_cpu_")
    config = Config.model_validate(
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp}/bench.db"},
            "knowledge": {"watch": False},
            "privacy": {"hmac_secret": "bench-secret"},
            "wechat": {"token": "bench-token", "app_id": "wxbench", "path": "/wechat"},
        }
    )
    db = Database(config.database.url)
    await db.start()
    services = build_services(config, KBHolder(), db)
    await services.question_log.start()
    responder = Responder(build_core(config, services, db), config.wechat)
    rng = random.Random(seed)

    def message(i: int):
        q, user = rng.choice(QUESTIONS), f"oBench{rng.randrange(2000):05d}"
        xml = (
            f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{user}]]>"
            f"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]>"
            f"</MsgType><Content><![CDATA[{q}]]></Content><MsgId>{i}</MsgId></xml>"
        ).encode()
        return message_of(parse_tree(xml), xml)

    for i in range(WARM_UP):
        await responder.respond(message(i))
    heap.settle()  # as `run` does once it serves
    messages = [message(WARM_UP + i) for i in range(n)]
    cpu = time.process_time()
    for i, m in enumerate(messages):
        await responder.respond(m)
        if i % 20 == 0:  # a turn of the loop now and then, as between requests
            await asyncio.sleep(0)
    await services.question_log.flush()
    await db.later.flush()
    cpu = time.process_time() - cpu
    await db.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return cpu * 1000 / n if n else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=None)
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--callgrind", action="store_true", help="count instructions (valgrind)")
    ap.add_argument("--base", help="also count this earlier revision (with --callgrind)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)  # one measured loop
    args = ap.parse_args()
    os.environ.setdefault("MINXIN_CACHE_DIR", str(Path(tempfile.gettempdir()) / "bench_answer_cpu"))
    if args.child is not None:
        asyncio.run(_loop(args.child))
        return
    if args.callgrind:
        script = str(Path(__file__).resolve())
        instructions.per_item(lambda k: [script, "--child", str(k)], args.messages or 1000,
                              args.base, args.reps or 1, "message")  # fmt: skip
        return
    n, reps = args.messages or 3000, args.reps or 5
    asyncio.run(_loop(0))  # unmeasured: start-up caches warm
    values = [asyncio.run(_loop(n, seed)) for seed in range(1, reps + 1)]
    print(f"Responder CPU per message, {n} messages x {reps} runs (load average "
          f"{os.getloadavg()[0]:.1f}): median {statistics.median(values):.3f} ms "
          f"(runs: {', '.join(f'{v:.3f}' for v in values)})")  # fmt: skip


if __name__ == "__main__":
    main()
