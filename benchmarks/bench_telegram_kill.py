"""How often a SIGKILL loses or repeats a Telegram reply: tests/test_telegram_durable.py's polling
scenario, repeated and counted instead of asserted.

Each run starts a real `python -m bot run` against tests/fakebotapi.py, pushes one question from
each of 120 users, SIGKILLs the bot after 20 answers, restarts it and waits for the rest. It
prints per run the updates marked `sending` but not handled at the kill (in flight), the users
never answered (lost: only ever among those in flight) and the users answered twice (never).

Run: .venv/bin/python benchmarks/bench_telegram_kill.py [--runs 10]   (prints figures; asserts nothing)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import test_telegram_durable as durable  # noqa: E402
from fakebotapi import FakeBotAPI  # noqa: E402
from tgupdates import text_update  # noqa: E402


async def once(tmp: Path) -> tuple[int, int, int]:
    async with FakeBotAPI() as api:
        cfg = durable.write_config(tmp, api, None)
        proc = await durable.start(cfg, api, "getUpdates")
        for user in durable.USERS:
            api.push(text_update(user, "万东路修好了吗"))
        await api.wait_for("sendMessage", 20, timeout=60)  # mid-burst
        await durable.kill(proc)
        flying = durable.in_flight(tmp)
        proc = await durable.start(cfg, api, "getUpdates")
        await api.wait_for("sendMessage", len(durable.USERS) - flying, timeout=90)
        await asyncio.sleep(1.0)  # a repeat, if any, would arrive now
        await durable.stop(proc)
        per_chat = durable.answers_per_chat(api)
    lost = sum(1 for u in durable.USERS if per_chat[u] == 0)
    twice = sum(1 for u in per_chat if per_chat[u] > 1)
    return flying, lost, twice


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    totals = [0, 0, 0]
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            figures = await once(Path(tmp))
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        print(
            f"run {i + 1}: in flight {figures[0]}, lost {figures[1]}, twice {figures[2]}",
            flush=True,
        )
    n = len(durable.USERS)
    print(
        f"{args.runs} runs x {n} updates: in flight {totals[0]}, lost {totals[1]}, twice {totals[2]}"
    )


if __name__ == "__main__":
    asyncio.run(main())
