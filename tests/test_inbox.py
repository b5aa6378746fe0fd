"""The durable Telegram inbox's rows, on SQLite (driver SQL on its one connection) and on
PostgreSQL (SQLAlchemy Core): the same ids are new, the same columns set, read back the same."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.storage.inbox import Inbox
from bot.storage.schema import telegram_inbox


async def rows(db) -> dict[int, tuple]:
    t = telegram_inbox.c
    async with db.engine.connect() as conn:
        got = await conn.execute(
            select(t.update_id, t.payload, t.received_at, t.sending_at, t.handled_at)
        )
        return {r[0]: tuple(r[1:]) for r in got}


async def test_add_returns_only_the_ids_never_stored(db):
    inbox = Inbox(db)
    assert await inbox.add([]) == set()
    assert await inbox.add([(1, '{"text": "万东路"}'), (2, "{}"), (2, '{"again": 1}')]) == {1, 2}
    await inbox.done([1])
    # a redelivery (handled or not) is not new, and does not overwrite what was stored
    assert await inbox.add([(1, "{}"), (2, "{}"), (3, "{}")]) == {3}
    stored = await rows(db)
    assert sorted(stored) == [1, 2, 3]
    assert stored[1][0] is None  # handled: the payload is dropped
    assert stored[2][0] == "{}"  # the first of the two in one batch is kept
    assert stored[3][0] == "{}"
    received = stored[2][1]
    assert received.tzinfo is not None  # read back as aware UTC, as Core stores it
    assert abs(received - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)


async def test_marks_set_their_columns_and_keep_the_first_handled_time(db):
    await marks_keep_the_first_handled_time(db)


async def test_marks_without_sqlites_json_functions_take_the_core_statements(tmp_path, monkeypatch):
    from bot.storage import inbox as inbox_mod
    from bot.storage.db import Database

    monkeypatch.setattr(inbox_mod, "sqlite_has_json", lambda: False)
    monkeypatch.setattr(inbox_mod, "_sqlite_marks", None)  # the json_each path is not taken
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.start()
    try:
        await marks_keep_the_first_handled_time(db)
    finally:
        await db.close()


async def marks_keep_the_first_handled_time(db) -> None:
    inbox = Inbox(db)
    await inbox.add([(10, '{"a": 1}'), (11, '{"b": 2}'), (12, '{"c": 3}')])
    await inbox.sending(10)
    await inbox.done([10, 11])
    first = (await rows(db))[10][3]
    await inbox.done([10])  # a second mark (a restart's bookkeeping) keeps the first time
    stored = await rows(db)
    assert stored[10][2] is not None and stored[10][3] == first and stored[10][0] is None
    assert stored[11][2] is None and stored[11][3] is not None and stored[11][0] is None
    assert stored[12][0] == '{"c": 3}' and stored[12][2] is None and stored[12][3] is None
    assert await inbox.unhandled() == [(12, '{"c": 3}')]
