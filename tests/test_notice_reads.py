"""Privacy notices for many new residents at once: each sees the first-contact notice exactly
once, someone who saw it before a restart does not see it again, and the burst costs one
transaction instead of one read per resident; on SQLite (the file's only process) no read at
all, also after a restart and after /forget."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from test_privacy_session import FIRST
from wechat_support import running, services_with_storage, wechat_config

from bot.storage.qlog import QuestionLogRepo


def counting(db) -> list[int]:
    """Record how many reads each transaction of db.reads carried (each one hop on SQLite)."""
    sizes: list[int] = []
    run_sync = db.run_sync

    async def counted(fn):
        result = await run_sync(fn)
        sizes.append(len(result))
        return result

    db.reads.db = type("Counted", (), {"run_sync": staticmethod(counted)})()
    return sizes


async def test_a_batch_of_first_messages_reads_once_and_answers_each_by_its_own_row(db):
    before = QuestionLogRepo(db, secret="s")  # the process before a restart
    assert await before.first_time("wx:oOld", "first")
    await db.later.flush()

    repo = QuestionLogRepo(db, secret="s")  # this process: knows nobody yet
    sizes = counting(db)
    users = ["wx:oOld", *(f"wx:oNew{i}" for i in range(20))]
    shown = await asyncio.gather(*(repo.first_time(u, "first") for u in users))
    assert shown == [False] + [True] * 20
    assert sizes == [21]  # one transaction for the whole moment
    # pii is another kind: the old resident has not seen that one
    assert await repo.first_time("wx:oOld", "pii")
    # decided once per process: asked again, nobody sees it twice, and nothing is read
    again = await asyncio.gather(*(repo.first_time(u, "first") for u in users))
    assert again == [False] * 21
    assert sizes == [21, 1]
    await db.later.flush()
    fresh = QuestionLogRepo(db, secret="s")  # after another restart, all rows are stored
    assert await asyncio.gather(*(fresh.first_time(u, "first") for u in users)) == [False] * 21


async def test_new_wechat_residents_writing_at_once_each_see_the_notice_once(holder, db, caplog):
    services = services_with_storage(holder, db)
    services.question_log = QuestionLogRepo(db, secret="s")
    await services.question_log.start()
    sizes = counting(db)
    async with running(services, wechat_config(), db) as wx:
        with caplog.at_level(logging.WARNING):
            first = await asyncio.gather(
                *(wx.ask(f"oCrowd{i}", "租房补贴怎么申请") for i in range(12))
            )
            second = await asyncio.gather(*(wx.ask(f"oCrowd{i}", "你好") for i in range(12)))
    assert all(r.count(FIRST) == 1 for r in first), first
    assert all(r.startswith("【第7项 提高住房保障水平】") for r in first), first
    assert all(FIRST not in r for r in second), second
    # One instance (SQLite, or PostgreSQL without redis.url) knows every notice shown since
    # start-up: nothing to read.
    assert sizes == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_with_several_instances_first_messages_of_one_moment_share_a_read(holder, db):
    if db.is_sqlite:
        pytest.skip("several instances run on PostgreSQL")
    from instances import REDIS_URL, require_pg_and_redis

    from bot.shared import SharedState

    await require_pg_and_redis()
    other = QuestionLogRepo(db, secret="s")  # another instance showed oCrowd0 its notice
    assert await other.first_time("wx:oCrowd0", "first")
    await db.later.flush()
    services = services_with_storage(holder, db)
    services.question_log = QuestionLogRepo(db, secret="s")
    await services.question_log.start()
    shared = SharedState(REDIS_URL, f"test-notice-{uuid.uuid4().hex[:8]}:")
    services.question_log.shared = shared  # as the app sets it, after start()
    sizes = counting(db)
    try:
        async with running(services, wechat_config(), db) as wx:
            first = await asyncio.gather(
                *(wx.ask(f"oCrowd{i}", "租房补贴怎么申请") for i in range(12))
            )
    finally:
        await shared.close()
    assert [r.count(FIRST) for r in first] == [0] + [1] * 11  # oCrowd0 saw it elsewhere
    assert sum(sizes) == 12 and len(sizes) < 12, sizes  # read, the moment's reads together


async def test_a_failed_notice_read_costs_no_answer_and_is_asked_again(db):
    repo = QuestionLogRepo(db, secret="s")

    class Down:
        async def run_sync(self, fn):
            raise ConnectionError("database restarting")

    db.reads.db = Down()
    results = await asyncio.gather(
        *(repo.first_time(f"wx:o{i}", "first") for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    db.reads.db = db  # back: the undecided residents are asked about again
    shown = await asyncio.gather(*(repo.first_time(f"wx:o{i}", "first") for i in range(3)))
    assert shown == [True] * 3


async def test_one_failing_read_fails_only_its_caller(db):
    async def read(sql: str):
        return await db.reads.run(lambda conn: conn.exec_driver_sql(sql).scalar())

    results = await asyncio.gather(
        read("SELECT 1"), read("SELECT * FROM no_such_table"), read("SELECT 2"),
        return_exceptions=True,
    )  # fmt: skip
    assert results[0] == 1 and isinstance(results[1], Exception)
    if db.is_sqlite:
        assert results[2] == 2
    else:  # PostgreSQL aborts the rest of that transaction: they raise, and are asked again
        assert isinstance(results[2], Exception)
        assert await read("SELECT 2") == 2


async def test_sqlite_knows_every_notice_from_start_up_and_forgets_with_forget(tmp_path):
    from bot.storage import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.start()
    try:
        before = QuestionLogRepo(db, secret="s")  # the process before a restart
        await before.start()
        assert await before.first_time("wx:oOld", "first")
        assert await before.first_time("wx:oOld", "pii")
        await db.later.flush()

        repo = QuestionLogRepo(db, secret="s")
        await repo.start()
        sizes = counting(db)
        users = ["wx:oOld", *(f"wx:oNew{i}" for i in range(50))]
        shown = await asyncio.gather(*(repo.first_time(u, "first") for u in users))
        assert shown == [False] + [True] * 50
        assert not await repo.first_time("wx:oOld", "pii")
        assert await repo.first_time("wx:oNew1", "pii")
        assert sizes == []  # not one read on the answer path
        await repo.forget("wx:oOld")  # /forget: their notices go with their rows
        assert await repo.first_time("wx:oOld", "first")
        assert await repo.first_time("wx:oOld", "pii")
        await db.later.flush()
        again = QuestionLogRepo(db, secret="s")  # and after another restart, as stored
        await again.start()
        assert await asyncio.gather(*(again.first_time(u, "first") for u in users)) == [False] * 51
        assert await again.first_time("wx:oNew2", "pii")
    finally:
        await db.close()
