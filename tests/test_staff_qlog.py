"""Question log: pseudonymous keys only, retention purge, forget, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
from pathlib import Path

from sqlalchemy import select, text

from bot.dialogue import Dialogue
from bot.models import Message, Route
from bot.services import Services
from bot.storage import Database
from bot.storage.qlog import PURGE_EVERY, QuestionLogRepo, question_log
from bot.storage.schema import utcnow

RAW_IDS = ("tg:7301234567", "wx:oAbCdEfGhIjKlMnOpQrStUvWx")


async def _dump(db: Database) -> str:
    """Every row of every table, as text: what a person holding the database could read."""
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            names = (
                await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            ).scalars()
        else:
            names = (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            ).scalars()
        out = []
        for name in list(names):
            rows = await conn.execute(text(f'SELECT * FROM "{name}"'))
            out += [repr(tuple(r)) for r in rows]
    return "\n".join(out)


async def test_residents_questions_are_logged_under_hmac_keys_only(db, holder, tmp_path):
    repo = QuestionLogRepo(db, secret="s3cret-for-tests", retention_days=180)
    await repo.start()
    dialogue = Dialogue(Services(holder, question_log=repo))
    await dialogue.respond(Message("telegram", RAW_IDS[0], "口袋公园建在哪"))
    await dialogue.respond(Message("wechat", RAW_IDS[1], "护照怎么办？我电话13812345678"))

    rows = await repo.questions(utcnow() - dt.timedelta(hours=1))
    assert [(r.channel, r.project, r.intent) for r in rows] == [
        ("telegram", 15, "overview"),
        ("wechat", None, "out_of_scope"),
    ]
    want = hmac.new(b"s3cret-for-tests", RAW_IDS[0].encode(), hashlib.sha256).hexdigest()
    assert rows[0].user_hash == want
    assert rows[1].text == "护照怎么办？我电话[手机号]"  # phone numbers are masked
    assert rows[1].unanswered and not rows[0].unanswered

    dump = await _dump(db)
    for raw in RAW_IDS:
        assert raw not in dump and raw.split(":")[1] not in dump
    if db.is_sqlite:  # the file itself (and its write-ahead log) never holds a raw id
        await db.engine.dispose()
        for f in Path(db.engine.url.database).parent.glob("bot.db*"):
            data = f.read_bytes()
            for raw in RAW_IDS:
                assert raw.split(":")[1].encode() not in data, f.name


async def test_without_a_configured_secret_one_is_made_once_and_kept(db):
    first = QuestionLogRepo(db)
    await first.start()
    key = await first.key("tg:42")
    again = QuestionLogRepo(db)  # a restart: same database, still no secret in config
    assert await again.key("tg:42") == key
    assert await again.key("tg:43") != key
    assert len(key) == 64 and set(key) <= set("0123456789abcdef")  # hex HMAC-SHA256


async def test_rows_older_than_retention_are_purged_on_start_and_then_daily(db):
    now = utcnow()
    old, recent = now - dt.timedelta(days=40), now - dt.timedelta(days=5)
    clock = [1000.0]
    repo = QuestionLogRepo(db, "k", retention_days=30, clock=lambda: clock[0])
    await repo.start()
    route = Route(None, "out_of_scope", 0.9)
    await repo.record(Message("console", "u1", "旧问题"), route, at=old)
    await repo.record(Message("console", "u1", "新问题"), route, at=recent)
    assert [q.text for q in await repo.questions(now - dt.timedelta(days=90))] == [
        "旧问题",
        "新问题",
    ]

    restarted = QuestionLogRepo(db, "k", retention_days=30)
    await restarted.start()  # purge on start
    assert [q.text for q in await repo.questions(now - dt.timedelta(days=90))] == ["新问题"]

    await repo.record(Message("console", "u1", "又一个旧问题"), route, at=old)
    clock[0] += PURGE_EVERY / 2  # within the day: recording does not purge
    await repo.record(Message("console", "u2", "问题"), route)
    assert len(await repo.questions(now - dt.timedelta(days=90))) == 3
    clock[0] += PURGE_EVERY  # a day later the next question triggers the purge
    await repo.record(Message("console", "u2", "再问"), route)
    texts = [q.text for q in await repo.questions(now - dt.timedelta(days=90))]
    assert texts == ["新问题", "问题", "再问"]


async def test_forget_removes_only_that_residents_questions(db):
    repo = QuestionLogRepo(db, "k")
    route = Route(9, "progress", 0.9)
    for user, q in (("tg:1", "万东路修好了吗"), ("tg:2", "万东路通车了吗"), ("tg:1", "订阅")):
        await repo.record(Message("telegram", user, q), route)
    assert await repo.forget("tg:1") == 2
    async with db.engine.connect() as conn:
        left = (await conn.execute(select(question_log.c.text))).scalars().all()
    assert left == ["万东路通车了吗"]
    assert await repo.forget("tg:1") == 0


async def _rows(db: Database) -> int:
    async with db.engine.connect() as conn:
        return len((await conn.execute(select(question_log.c.text))).all())


async def test_batched_log_writes_once_per_interval_and_forget_reaches_the_batch(db):
    """The running bot batches the log (one transaction per interval), losing nothing."""
    repo = QuestionLogRepo(db, secret="s", batch_seconds=30)  # long: only flushes count here
    route = Route(7, "apply", 0.9)
    await repo.record(Message("telegram", "tg:1", "租房补贴怎么申请"), route)
    await repo.record(Message("telegram", "tg:2", "公租房在哪申请"), route)
    await repo.record(Message("telegram", "tg:1", "要带什么材料"), route)
    assert await _rows(db) == 0  # waiting for the batch

    await repo.forget("tg:1")  # /forget also drops what is still waiting
    assert [q.text for q in await repo.questions(utcnow() - dt.timedelta(days=1))] == [
        "公租房在哪申请"
    ]  # readers see the batch: it is flushed first
    await repo.record(Message("telegram", "tg:3", "租房补贴能领多少"), route)
    await repo.close()  # shutdown writes the rest
    assert await _rows(db) == 2


async def test_batched_log_flushes_by_itself(db):
    repo = QuestionLogRepo(db, secret="s", batch_seconds=0.05)
    await repo.record(Message("wechat", "wx:o1", "万东路修好了吗"), Route(9, "progress", 1.0))
    for _ in range(200):
        if await _rows(db):
            break
        await asyncio.sleep(0.05)
    assert await _rows(db) == 1
    await repo.close()


async def test_a_large_batch_goes_out_page_by_page_and_loses_nothing(db, caplog):
    from bot.storage.qlog import FLUSH_ROWS, FLUSH_ROWS_SQLITE

    repo = QuestionLogRepo(db, secret="s", batch_seconds=30)
    pages = []  # the rows of each write (one transaction on SQLite, one executemany on PG)
    write_rows = db.write_rows

    async def counted(batch):
        pages.extend(len(rows) for _, rows in batch)
        return await write_rows(batch)

    db.write_rows = counted
    size = FLUSH_ROWS_SQLITE if db.is_sqlite else FLUSH_ROWS
    n = 2 * size + size // 2
    for i in range(n):
        await repo.record(Message("wechat", f"wx:o{i}", f"问题{i}"), Route(9, "progress", 1.0))
    with caplog.at_level(logging.WARNING):
        await repo.flush()
    assert pages == [size, size, size // 2]  # the connection is held one page at a time
    assert await _rows(db) == n
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    await repo.close()
