"""Users (how to reach them) and their progress subscriptions."""

from __future__ import annotations

import asyncio

from sqlalchemy import (
    and_,
    delete,
    select,
    update,
)

from bot.storage import driversql
from bot.storage.db import Database
from bot.storage.schema import subscriptions, users
from bot.storage.schema import utcnow as _now

ALL = 0  # project number stored for "all projects"


class SubscriptionRepo:
    """Implements bot.services.SubscriptionStore on the database."""

    def __init__(self, db: Database):
        self.db = db
        self._upsert_stmt = None
        self._subscribe_stmt = None

    async def touch_user(self, user_key: str, channel: str, chat_id: str) -> None:
        """Record that a user wrote to us (and where to reach them); reactivate if blocked.

        One INSERT … ON CONFLICT DO UPDATE: two first messages of a new user at once cannot
        both insert (an UPDATE-then-INSERT did, and PostgreSQL answered UniqueViolation)."""
        row = _seen_row(user_key, channel, chat_id)
        await self.db.run_sync(lambda conn: driversql.execute(conn, self._upsert, [row]))

    def seen(self, user_key: str, channel: str, chat_id: str) -> None:
        """touch_user without waiting: the upsert goes out with the next write-behind batch."""
        self.db.later.put(self._upsert, user_key, _seen_row(user_key, channel, chat_id))

    @property
    def _upsert(self):
        # Built once per repo: the write-behind groups rows by statement object.
        if self._upsert_stmt is None:
            stmt = self.db.insert(users)
            self._upsert_stmt = stmt.on_conflict_do_update(
                index_elements=["user_key"],
                set_={
                    "chat_id": stmt.excluded.chat_id,
                    "last_seen": stmt.excluded.last_seen,
                    "active": True,
                },
            )
        return self._upsert_stmt

    @property
    def _subscribe(self):
        # One statement object, its values given as a row: on SQLite compiled once into driver
        # SQL (bot.storage.driversql), not compiled and executed by Core on every subscribe.
        if self._subscribe_stmt is None:
            self._subscribe_stmt = self.db.insert(subscriptions).on_conflict_do_nothing(
                index_elements=["user_key", "project"]
            )
        return self._subscribe_stmt

    async def subscribe(self, user_key: str, project: int | None) -> bool:
        p = ALL if project is None else project
        # One statement (no read-then-write): a burst of subscribers costs one round trip each.
        row = {"user_key": user_key, "project": p, "created_at": _now()}
        seen = self.db.later.take(self._upsert, user_key)
        # A subscriber is a recipient from this commit on: their users row first, if queued.
        steps = [(self._upsert, seen)] if seen is not None else []
        try:  # SQLite: with the other subscribes of the moment, one turn of its thread
            return bool(await self.db.write_in_order([*steps, (self._subscribe, row)]))
        except asyncio.CancelledError:
            if seen is not None:  # perhaps not written: back to the write-behind (an upsert)
                self.db.later.put(self._upsert, user_key, seen, replace=False)
            raise

    async def unsubscribe(self, user_key: str, project: int | None) -> int:
        cond = subscriptions.c.user_key == user_key
        if project is not None:
            cond = and_(cond, subscriptions.c.project == project)
        async with self.db.engine.begin() as conn:
            return (await conn.execute(delete(subscriptions).where(cond))).rowcount or 0

    async def subscriptions(self, user_key: str) -> list[int | None]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(subscriptions.c.project)
                .where(subscriptions.c.user_key == user_key)
                .order_by(subscriptions.c.project)
            )
            return [None if p == ALL else p for p in rows.scalars()]

    async def recipients(self, project: int | None) -> list[tuple[str, str, str]]:
        """(user_key, channel, chat_id) of active users subscribed to a project or to all."""
        cond = users.c.active.is_(True)
        if project is not None:
            cond = and_(cond, subscriptions.c.project.in_([project, ALL]))
        q = (
            select(users.c.user_key, users.c.channel, users.c.chat_id)
            .distinct()
            .select_from(subscriptions.join(users, users.c.user_key == subscriptions.c.user_key))
            .where(cond)
            .order_by(users.c.user_key)
        )
        async with self.db.engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(q)]

    async def set_active(self, user_key: str, active: bool) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.user_key == user_key).values(active=active)
            )

    async def move_chat(self, user_key: str, new_chat_id: str) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.user_key == user_key).values(chat_id=new_chat_id)
            )


def _seen_row(user_key: str, channel: str, chat_id: str) -> dict:
    now = _now()
    return dict(
        user_key=user_key, channel=channel, chat_id=chat_id, active=True, first_seen=now,
        last_seen=now,
    )  # fmt: skip
