"""bot.storage.driversql: on SQLite the write paths' Core statements run as driver SQL compiled
once, and store byte for byte what Core stores. Each statement the bot sends that way is written
once through Core and once through the driver path, each into its own SQLite file, and the
files' raw rows (as sqlite3 reads them, no type processing) are compared with each other and
with the literal values expected."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

import pytest
from conftest import PG_URL, wipe_postgres
from sqlalchemy import JSON, Column, Integer, MetaData, Table, create_engine, func, select
from sqlalchemy.dialects import postgresql

from bot.storage import Database, driversql
from bot.storage.inbox import _ADD, _DONE, _SENDING
from bot.storage.qlog import _LOG_INSERT
from bot.storage.schema import metadata, subscriptions, wechat_replies
from bot.storage.subscriptions import SubscriptionRepo
from bot.storage.wechat import WeChatDedupe

UTC = dt.timezone.utc
T1 = dt.datetime(2026, 12, 1, 15, 47, 39, 123456, tzinfo=UTC)
T2 = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # 00:00 UTC
T3 = dt.datetime(2026, 12, 3, 9, 30, 5, tzinfo=UTC)


def _upsert():
    return SubscriptionRepo(Database("sqlite+aiosqlite://"))._upsert


def _store():
    return WeChatDedupe(Database("sqlite+aiosqlite://"))._store


def _subscribe():
    return SubscriptionRepo(Database("sqlite+aiosqlite://"))._subscribe


def written(tmp_path, statement, batches, table, meta=metadata):
    """Each batch (a list of rows) in its own transaction, through Core into one file and
    through driversql into another -> (raw rows, rowcounts) of each, in that order."""
    out = []
    for name in ("core", "driver"):
        path = tmp_path / f"{name}.db"
        engine = create_engine(f"sqlite:///{path}")
        meta.create_all(engine)
        counts = []
        for rows in batches:
            with engine.begin() as conn:
                if name == "core":
                    counts.append(conn.execute(statement, rows).rowcount)
                else:  # really the driver path, not its fall-back to Core
                    assert driversql.prepare(conn.dialect, statement, rows[0].keys()) is not None
                    counts.append(driversql.execute(conn, statement, rows))
        engine.dispose()
        with sqlite3.connect(path) as raw:
            out.append((raw.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall(), counts))
    return out


def user(key, chat, when, active=True):
    return dict(
        user_key=key, channel="wechat", chat_id=chat, active=active, first_seen=when,
        last_seen=when,
    )  # fmt: skip


def test_last_seen_upserts_insert_then_update_as_core_does(tmp_path):
    batches = [
        [user("wx:a", "a1", T1, active=False), user("wx:b", "b1", T2)],
        # a conflict: chat_id and last_seen from the new row, active set True, first_seen kept
        [user("wx:a", "a2", T3), user("wx:c", "c1", T3)],
        [user("wx:b", "b2", T3)],  # one row alone: cursor.execute, not a page
    ]
    core, driver = written(tmp_path, _upsert(), batches, "users")
    assert driver == core
    assert driver == (
        [
            ("wx:a", "wechat", "a2", 1, "2026-12-01 15:47:39.123456", "2026-12-03 09:30:05.000000"),
            ("wx:b", "wechat", "b2", 1, "2026-12-02 00:00:00.000000", "2026-12-03 09:30:05.000000"),
            ("wx:c", "wechat", "c1", 1, "2026-12-03 09:30:05.000000", "2026-12-03 09:30:05.000000"),
        ],
        [2, 2, 1],
    )


def test_stored_replies_keep_the_first_answer_on_a_conflict(tmp_path):
    row = {"key": "m:1", "user_key": "wx:a", "reply": "<xml>一</xml>", "created_at": T1}
    again = {"key": "m:1", "user_key": "wx:a", "reply": "<xml>二</xml>", "created_at": T3}
    other = {"key": "m:2", "user_key": "wx:b", "reply": "success", "created_at": T2}
    core, driver = written(tmp_path, _store(), [[row], [again, other]], "wechat_replies")
    assert driver == core
    assert driver == (
        [
            ("m:1", "wx:a", "<xml>一</xml>", "2026-12-01 15:47:39.123456"),
            ("m:2", "wx:b", "success", "2026-12-02 00:00:00.000000"),
        ],
        [1, 1],  # only the new row counted
    )


def test_question_log_pages_store_floats_and_nulls_as_core(tmp_path):
    def q(i, when, **kw):
        return dict(
            asked_at=when, user_hash=f"h{i}", channel="wechat", text=f"问题{i}", project=7,
            intent="apply", confidence=1, outcome="answered", found=None,
        ) | kw  # fmt: skip

    rows = [q(1, T1), q(2, T2, project=None, outcome=None, confidence=0.25), q(3, T3, found=4)]
    core, driver = written(tmp_path, _LOG_INSERT, [rows], "question_log")
    assert driver == core
    assert driver == (
        [
            (1, "2026-12-01 15:47:39.123456", "h1", "wechat", "问题1", 7, "apply", 1.0,
             "answered", None),
            (2, "2026-12-02 00:00:00.000000", "h2", "wechat", "问题2", None, "apply", 0.25,
             None, None),
            (3, "2026-12-03 09:30:05.000000", "h3", "wechat", "问题3", 7, "apply", 1.0,
             "answered", 4),
        ],
        [3],
    )  # fmt: skip


def test_more_rows_than_one_statement_may_bind_go_in_several_pages(tmp_path):
    rows = [
        {"key": f"m:{i:04d}", "user_key": "wx:a", "reply": f"r{i}", "created_at": T1}
        for i in range(600)  # 2,400 parameters: three pages of at most 999
    ]
    core, driver = written(tmp_path, _store(), [rows], "wechat_replies")
    assert driver == core
    assert driver[1] == [600]
    assert driver[0][0] == ("m:0000", "wx:a", "r0", "2026-12-01 15:47:39.123456")
    assert driver[0][599] == ("m:0599", "wx:a", "r599", "2026-12-01 15:47:39.123456")


def test_a_subscribe_counts_one_when_new_and_none_when_already_there(tmp_path):
    row = {"user_key": "wx:a", "project": 9, "created_at": T2}
    later = {"user_key": "wx:a", "project": 9, "created_at": T3}
    core, driver = written(tmp_path, _subscribe(), [[row], [later]], "subscriptions")
    assert driver == core
    assert driver[1] == [1, 0]
    (stored,) = driver[0]
    assert stored[1:] == ("wx:a", 9, "2026-12-02 00:00:00.000000")  # (first column: the id)


def test_inbox_rows_and_marks_as_core(tmp_path):
    added = [
        {"update_id": 10, "payload": '{"update_id": 10}', "received_at": T1},
        {"update_id": 11, "payload": '{"update_id": 11}', "received_at": T1},
    ]
    out = {}
    for name in ("core", "driver"):
        path = tmp_path / f"{name}.db"
        engine = create_engine(f"sqlite:///{path}")
        metadata.create_all(engine)
        with engine.begin() as conn:
            if name == "core":
                counts = [conn.execute(_ADD, [r]).rowcount for r in added + added[:1]]
                conn.execute(_SENDING, [{"ids": "[10]", "sending_at": T2}])
                done = conn.execute(_DONE, [{"ids": "[10, 11]", "at": T3}]).rowcount
            else:  # really the driver path, not its fall-back to Core
                for stmt, keys in (
                    (_SENDING, ["ids", "sending_at"]),
                    (_DONE, ["ids", "at"]),
                ):
                    assert driversql.prepare(conn.dialect, stmt, keys) is not None
                counts = driversql.each(conn, _ADD, added + added[:1])
                driversql.execute(conn, _SENDING, [{"ids": "[10]", "sending_at": T2}])
                done = driversql.execute(conn, _DONE, [{"ids": "[10, 11]", "at": T3}])
            assert done == 2  # both rows, in one statement
        with engine.begin() as conn:  # a second "done" keeps the first handled_at
            driversql.execute(conn, _DONE, [{"ids": "[10, 12]", "at": T1}])
        engine.dispose()
        with sqlite3.connect(path) as raw:
            out[name] = raw.execute("SELECT * FROM telegram_inbox ORDER BY 1").fetchall(), counts
    assert out["driver"] == out["core"]
    assert out["driver"] == (
        [
            (10, None, "2026-12-01 15:47:39.123456", "2026-12-02 00:00:00.000000",
             "2026-12-03 09:30:05.000000"),
            (11, None, "2026-12-01 15:47:39.123456", None, "2026-12-03 09:30:05.000000"),
        ],
        [1, 1, 0],
    )  # fmt: skip


def test_inbox_marks_find_their_rows_by_the_primary_key(tmp_path):
    """Marks run while many polled updates wait unhandled: SQLite must look each id up, not walk
    the unhandled rows (with `handled_at IS NULL` in the WHERE it took the handled_at index)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        for stmt, keys in ((_SENDING, ["ids", "sending_at"]), (_DONE, ["ids", "at"])):
            sql = driversql.prepare(conn.dialect, stmt, keys)[0]
            raw = conn.connection.dbapi_connection
            plan = [
                row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, [None] * sql.count("?"))
            ]
            assert plan[0] == (
                "SEARCH telegram_inbox USING INDEX sqlite_autoindex_telegram_inbox_1 (update_id=?)"
            ), plan
    engine.dispose()


def test_json_values_as_core_stores_them(tmp_path):
    meta = MetaData()
    docs = Table("docs", meta, Column("id", Integer, primary_key=True), Column("body", JSON))
    rows = [{"id": 1, "body": {"项目": 9, "ok": True}}, {"id": 2, "body": None}]
    core, driver = written(tmp_path, docs.insert(), [rows], "docs", meta)
    assert driver == core
    assert driver == ([(1, '{"\\u9879\\u76ee": 9, "ok": true}'), (2, "null")], [2])


def test_shapes_it_does_not_handle_go_through_core(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    metadata.create_all(engine)
    returning = wechat_replies.insert().returning(wechat_replies.c.key)
    row = {"key": "m:1", "user_key": "wx:a", "reply": "r", "created_at": T1}
    assert driversql.prepare(engine.dialect, returning, row.keys()) is None
    assert driversql.prepare(postgresql.dialect(), _store(), row.keys()) is None
    users_no_active = {k: v for k, v in user("wx:a", "a", T1).items() if k != "active"}
    # users.active has a Python-side default: Core computes it, so Core runs the statement
    assert driversql.prepare(engine.dialect, _upsert(), users_no_active.keys()) is None
    with engine.begin() as conn:
        assert driversql.execute(conn, returning, [row, row | {"key": "m:2"}]) == 2
        assert driversql.execute(conn, _upsert(), [users_no_active]) == 1
    with sqlite3.connect(tmp_path / "x.db") as raw:
        assert raw.execute("SELECT key FROM wechat_replies").fetchall() == [("m:1",), ("m:2",)]
        assert raw.execute("SELECT active FROM users").fetchall() == [(1,)]
    engine.dispose()


def test_a_row_missing_a_value_fails_like_core(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn, pytest.raises(KeyError):  # later rows: the first's keys
        driversql.execute(conn, _store(), [
            {"key": "m:1", "user_key": "wx:a", "reply": "r", "created_at": T1},
            {"key": "m:2", "user_key": "wx:a", "created_at": T1},
        ])  # fmt: skip
    engine.dispose()


async def test_a_failing_row_costs_only_itself_in_a_write_behind_batch(db, caplog):
    dedupe = WeChatDedupe(db)
    for i in range(5):
        reply = None if i == 2 else f"r{i}"  # NOT NULL: the batch fails, then row by row
        dedupe.remember(f"m:{i}", "wx:a", reply)
    with caplog.at_level(logging.WARNING, logger="bot.storage.writebehind"):
        await dedupe.flush()
    assert "a batch of 5 rows failed" in caplog.text
    assert "1 rows could not be written" in caplog.text
    assert await dedupe.lookup([f"m:{i}" for i in range(5)]) == {
        "m:0": "r0", "m:1": "r1", "m:3": "r3", "m:4": "r4",
    }  # fmt: skip
    async with db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(wechat_replies)) == 4


async def test_the_bot_s_subscribe_and_last_seen_rows_read_back_through_core(db):
    repo = SubscriptionRepo(db)
    repo.seen("wx:a", "wechat", "oA")  # queued, then written with the subscribe
    assert await repo.subscribe("wx:a", 9) is True
    assert await repo.subscribe("wx:a", 9) is False
    assert await repo.recipients(9) == [("wx:a", "wechat", "oA")]
    async with db.engine.connect() as conn:
        (created,) = (await conn.execute(select(subscriptions.c.created_at))).scalars()
    assert created.tzinfo is not None  # read back by Core as an aware datetime


# ---- PostgreSQL: a batch is asyncpg's own executemany per statement -------------------------
needs_pg = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL (PostgreSQL) is not set")


async def _pg_written(make, batches, table) -> list[tuple]:
    """Each batch of make(db)'s statement through Core (one transaction) and then, into the
    emptied table, through Database.write_rows (the driver path) -> [raw rows as asyncpg
    reads them] of each."""
    db = Database(PG_URL)
    await wipe_postgres(db)
    await db.start()
    statement = make(db)
    out = []
    try:
        for way in ("core", "driver"):
            async with db.engine.begin() as conn:
                await conn.exec_driver_sql(f"DELETE FROM {table}")
            for rows in batches:
                if way == "core":
                    async with db.engine.begin() as conn:
                        await conn.execute(statement, rows)
                else:  # really the driver path, not its fall-back to Core
                    assert driversql.prepare(db.dialect, statement, rows[0].keys()) is not None
                    assert await db.write_rows([(statement, rows)]) == []
            async with db.engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                out.append(
                    [tuple(r) for r in await driver.fetch(f"SELECT * FROM {table} ORDER BY 1")]
                )
    finally:
        await db.close()
    return out


@needs_pg
async def test_postgresql_last_seen_upserts_store_what_core_stores():
    batches = [
        [user("wx:a", "a1", T1, active=False), user("wx:b", "b1", T2)],
        [user("wx:a", "a2", T3), user("wx:c", "c1", T3)],  # a conflict: first_seen kept
    ]
    core, driver = await _pg_written(lambda db: SubscriptionRepo(db)._upsert, batches, "users")
    assert driver == core
    assert driver == [
        ("wx:a", "wechat", "a2", True, T1, T3),
        ("wx:b", "wechat", "b1", True, T2, T2),
        ("wx:c", "wechat", "c1", True, T3, T3),
    ]


@needs_pg
async def test_postgresql_question_log_and_stored_replies_store_what_core_stores():
    q = dict(
        asked_at=T2, user_hash="h1", channel="wechat", text="问题1", project=None,
        intent="apply", confidence=0.25, outcome=None, found=4,
    )  # fmt: skip
    core, driver = await _pg_written(lambda db: _LOG_INSERT, [[q]], "question_log")
    assert [r[1:] for r in driver] == [r[1:] for r in core]  # (first column: the serial id)
    assert driver[0][1:] == (T2, "h1", "wechat", "问题1", None, "apply", 0.25, None, 4)
    row = {"key": "m:1", "user_key": "wx:a", "reply": "<xml>一</xml>", "created_at": T1}
    again = {"key": "m:1", "user_key": "wx:a", "reply": "<xml>二</xml>", "created_at": T3}
    core, driver = await _pg_written(
        lambda db: WeChatDedupe(db)._store, [[row], [again]], "wechat_replies"
    )
    assert driver == core == [("m:1", "wx:a", "<xml>一</xml>", T1)]  # the first answer stays


async def test_a_failed_statement_in_a_batch_costs_only_its_own_rows(db, caplog):
    repo, dedupe = SubscriptionRepo(db), WeChatDedupe(db)
    repo.seen("wx:a", "wechat", "oA")
    for i in range(3):
        dedupe.remember(f"m:{i}", "wx:a", None if i == 1 else f"r{i}")  # m:1 breaks NOT NULL
    with caplog.at_level(logging.WARNING, logger="bot.storage.writebehind"):
        await db.later.flush()
    # SQLite: one transaction, so both statements are written again row by row; PostgreSQL:
    # each statement on its own, so only the replies' three rows are.
    assert f"a batch of {4 if db.is_sqlite else 3} rows failed" in caplog.text
    assert "1 rows could not be written" in caplog.text
    assert await dedupe.lookup(["m:0", "m:1", "m:2"]) == {"m:0": "r0", "m:2": "r2"}
    assert await repo.subscribe("wx:a", 9) is True
    assert await repo.recipients(9) == [("wx:a", "wechat", "oA")]  # the seen row was written


async def test_a_shape_the_driver_path_leaves_to_core_is_written_and_committed(db):
    returning = wechat_replies.insert().returning(wechat_replies.c.key)
    row = {"key": "m:1", "user_key": "wx:a", "reply": "r", "created_at": T1}
    assert driversql.prepare(db.dialect, returning, row.keys()) is None
    assert await db.write_rows([(returning, [row, row | {"key": "m:2"}])]) == []
    async with db.engine.connect() as conn:  # committed: a new connection reads both
        assert list((await conn.execute(select(wechat_replies.c.key))).scalars()) == ["m:1", "m:2"]


@needs_pg
async def test_postgresql_a_write_behind_batch_is_one_executemany_per_statement_no_begin():
    db = Database(PG_URL)
    await wipe_postgres(db)
    await db.start()
    sent = []
    try:
        async with db.engine.connect() as conn:  # the pool's one connection so far
            driver = (await conn.get_raw_connection()).driver_connection
        driver.add_query_logger(lambda q: sent.append(q.query.split(" (")[0]))
        repo, dedupe = SubscriptionRepo(db), WeChatDedupe(db)
        for i in range(5):
            repo.seen(f"wx:o{i}", "wechat", f"o{i}")
            dedupe.remember(f"m:{i}", f"wx:o{i}", f"r{i}")
        await db.later.flush()
        assert sent == ["INSERT INTO users", "INSERT INTO wechat_replies"]  # no BEGIN, COMMIT
        assert await dedupe.lookup(["m:0", "m:4"]) == {"m:0": "r0", "m:4": "r4"}
    finally:
        await db.close()


@needs_pg
async def test_postgresql_a_connection_killed_between_batches_loses_no_row(caplog):
    db = Database(PG_URL)
    await wipe_postgres(db)
    await db.start()
    try:
        async with db.engine.connect() as conn:  # the pool's one connection so far
            pid = await conn.scalar(select(func.pg_backend_pid()))
        other = Database(PG_URL)  # as a restart or an administrator would, from outside
        async with other.engine.connect() as conn:
            assert await conn.scalar(select(func.pg_terminate_backend(pid))) is True
        await other.close()
        repo, dedupe = SubscriptionRepo(db), WeChatDedupe(db)
        for i in range(3):
            repo.seen(f"wx:o{i}", "wechat", f"o{i}")
            dedupe.remember(f"m:{i}", f"wx:o{i}", f"r{i}")
        with caplog.at_level(logging.WARNING, logger="bot.storage.writebehind"):
            await db.later.flush()
        assert "a batch of 6 rows failed" in caplog.text  # both statements: the rest untried
        assert "could not be written" not in caplog.text  # row by row, on a new connection
        assert await dedupe.lookup(["m:0", "m:1", "m:2"]) == {"m:0": "r0", "m:1": "r1", "m:2": "r2"}
        assert await repo.subscribe("wx:o2", 9) is True
        assert await repo.recipients(9) == [("wx:o2", "wechat", "o2")]
    finally:
        await db.close()


async def test_postgresql_down_costs_the_queued_rows_only_never_an_exception(caplog):
    # No server needed: nothing listens on port 9 here, as when PostgreSQL is down.
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    try:
        SubscriptionRepo(db).seen("wx:oA", "wechat", "oA")
        WeChatDedupe(db).remember("m:1", "wx:oA", "r1")
        with caplog.at_level(logging.WARNING, logger="bot.storage.writebehind"):
            await db.later.flush()  # returns: the bookkeeping rows are lost, and logged
        assert "a batch of 2 rows failed ([Errno 111] Connect call failed" in caplog.text
        assert "write-behind: 2 rows could not be written" in caplog.text
        # the question log's pages: each a failure returned (logged there), not raised
        failed = await db.write_rows([(_LOG_INSERT, [{"text": "问"}, {"text": "答"}])])
        assert [(f.statement, len(f.rows)) for f in failed] == [(_LOG_INSERT, 2)]
        assert isinstance(failed[0].error, OSError)
    finally:
        await db.engine.dispose()
