"""SIGKILL the bot mid-broadcast, start it again: the job finishes by itself, nobody gets the
message twice and nobody is skipped. The bot runs as `python -m bot run --config …` in a
subprocess against the fake Bot API (which counts sends per chat) in this process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import yaml
from tgupdates import callback_update, text_update

from bot.storage import Database
from bot.storage.broadcast import BroadcastRepo
from bot.storage.subscriptions import SubscriptionRepo

ROOT = Path(__file__).resolve().parents[1]
ADMIN = 1
RESIDENTS = list(range(5001, 5201))  # 200 subscribers
CONCURRENCY = 8
TIMEOUT = 60.0  # generous: two interpreter start-ups on a noisy machine


async def start_bot(config: Path, log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config),
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


async def test_sigkill_mid_broadcast_then_restart_finishes_with_no_duplicates(api, tmp_path):
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": db_url},
                "knowledge": {"watch": False},
                "telegram": {"token": api.token, "base_url": api.base_url, "admins": [ADMIN]},
                "broadcast": {"rate_per_second": 40, "concurrency": CONCURRENCY},
            }
        )
    )
    db = Database(db_url)
    await db.start()
    subs = SubscriptionRepo(db)
    for chat in RESIDENTS:
        await subs.touch_user(f"tg:{chat}", "telegram", str(chat))
        await subs.subscribe(f"tg:{chat}", None)
    log = tmp_path / "bot.log"

    first = await start_bot(config, log)
    try:
        api.push(text_update(ADMIN, "/broadcast all 明天上午9点万东路通车"))
        [preview] = await api.wait_for("sendMessage", 1, TIMEOUT, chat_id=ADMIN)
        go = preview.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        api.push(callback_update(ADMIN, go, preview.result))
        await api.wait_for("sendMessage", 1 + 60, TIMEOUT)  # well under way …
    finally:
        first.send_signal(signal.SIGKILL)  # … and killed without any chance to clean up
        await first.wait()
    sent_before_restart = sum(api.sent_per_chat[c] for c in RESIDENTS)
    assert sent_before_restart < len(RESIDENTS), log.read_text()

    second = await start_bot(config, log)
    try:
        admin_messages = len(api.of("sendMessage", ADMIN))
        calls = await api.wait_for("sendMessage", admin_messages + 1, TIMEOUT, chat_id=ADMIN)
        report = calls[-1].params["text"]  # the resumed job reports to the same admin chat
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), TIMEOUT)

    repo = BroadcastRepo(db)
    [job] = await repo.recent_jobs()
    counts = await repo.counts(job.id)
    await db.close()
    assert job.state == "done", log.read_text()
    uncertain = {int(r.chat_id) for r in await _rows(db_url, job.id, "uncertain")}
    # zero duplicates: no chat ever received the broadcast twice (the fake counts per chat)
    assert max(api.sent_per_chat[c] for c in RESIDENTS) == 1
    # zero skipped: every recipient got it, except rows in flight at the kill, reported as such
    assert {c for c in RESIDENTS if api.sent_per_chat[c] == 0} <= uncertain
    assert counts["sent"] + counts["uncertain"] == len(RESIDENTS)
    assert counts["uncertain"] <= CONCURRENCY
    assert counts["pending"] == counts["sending"] == counts["failed"] == 0
    assert "发送完毕" in report and f"共 {len(RESIDENTS)} 人" in report
    assert f"已送达 {counts['sent']}" in report
    if counts["uncertain"]:
        assert f"不确定（重启时正在发送，未重发） {counts['uncertain']}" in report
    assert api.texts(RESIDENTS[-1]) == ["明天上午9点万东路通车"]


async def _rows(db_url: str, job_id: int, state: str):
    db = Database(db_url)
    try:
        return await BroadcastRepo(db).rows(job_id, state)
    finally:
        await db.close()
