"""Broadcast jobs and their outbox: one row per recipient, each row's state committed.

Job:  draft (previewed) -> queued (confirmed, outbox filled) -> running -> done | cancelled;
      a draft the admin cancels becomes discarded.
Row:  pending -> sending -> sent | blocked | failed; skipped (no way to reach that channel);
      cancelled (job stopped first); uncertain (was `sending` when the process died: it may or
      may not have gone out, so it is reported and never sent again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    and_,
    func,
    select,
    update,
)
from sqlalchemy.sql import Executable

from bot.storage.db import Database
from bot.storage.schema import broadcast_jobs, broadcast_outbox, utcnow

ROW_STATES = (
    "pending",
    "sending",
    "sent",
    "blocked",
    "failed",
    "uncertain",
    "skipped",
    "cancelled",
)
OPEN_JOB_STATES = ("queued", "running")


@dataclass(frozen=True)
class Job:
    id: int
    project: int | None
    text: str
    author: str
    author_id: str
    state: str
    total: int
    origin: str
    status_chat: str | None
    status_message: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    def duration(self, now: dt.datetime | None = None) -> float:
        """Seconds from start to finish (or to now while running)."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at or now or utcnow()
        return max(0.0, (end - self.started_at).total_seconds())


@dataclass(frozen=True)
class OutboxRow:
    id: int
    job_id: int
    user_key: str
    channel: str
    chat_id: str
    state: str
    attempts: int


_ROW_COLUMNS = [
    broadcast_outbox.c[name]
    for name in ("id", "job_id", "user_key", "channel", "chat_id", "state", "attempts")
]


class BroadcastRepo:
    def __init__(self, db: Database):
        self.db = db

    # ---- jobs ------------------------------------------------------------------------------
    async def create_draft(
        self, project: int | None, text: str, author: str, author_id: str, origin: str = ""
    ) -> int:
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                broadcast_jobs.insert().values(
                    project=project,
                    text=text,
                    author=author,
                    author_id=author_id,
                    state="draft",
                    total=0,
                    origin=origin,
                    created_at=utcnow(),
                )
            )
            return res.inserted_primary_key[0]

    async def job(self, job_id: int) -> Job | None:
        async with self.db.engine.connect() as conn:
            row = (
                await conn.execute(select(broadcast_jobs).where(broadcast_jobs.c.id == job_id))
            ).first()
        return Job(**row._mapping) if row else None

    async def confirm(
        self, job_id: int, recipients: list[tuple[str, str, str]], also: Sequence[Executable] = ()
    ) -> bool:
        """Turn a draft into a queued job with one pending row per recipient, exactly once;
        `also` (its audit row) commits in the same transaction."""
        now = utcnow()
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                update(broadcast_jobs)
                .where(and_(broadcast_jobs.c.id == job_id, broadcast_jobs.c.state == "draft"))
                .values(state="queued", total=len(recipients))
            )
            if res.rowcount != 1:
                return False  # pressed twice, or already discarded
            if recipients:
                await conn.execute(
                    broadcast_outbox.insert(),
                    [
                        dict(
                            job_id=job_id,
                            user_key=u,
                            channel=ch,
                            chat_id=str(chat),
                            state="pending",
                            attempts=0,
                            updated_at=now,
                        )
                        for u, ch, chat in recipients
                    ],
                )
            for stmt in also:
                await conn.execute(stmt)
        return True

    async def discard(self, job_id: int) -> bool:
        return await self._move_job(job_id, ("draft",), state="discarded")

    async def start(self, job_id: int) -> None:
        """queued -> running; keeps the first start time when a job resumes."""
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(broadcast_jobs)
                .where(and_(broadcast_jobs.c.id == job_id, broadcast_jobs.c.state == "queued"))
                .values(state="running", started_at=utcnow())
            )

    async def finish(self, job_id: int) -> bool:
        return await self._move_job(job_id, OPEN_JOB_STATES, state="done", finished_at=utcnow())

    async def cancel(self, job_id: int) -> bool:
        """Stop a queued or running job: its pending rows become cancelled."""
        now = utcnow()
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                update(broadcast_jobs)
                .where(
                    and_(
                        broadcast_jobs.c.id == job_id,
                        broadcast_jobs.c.state.in_(OPEN_JOB_STATES),
                    )
                )
                .values(state="cancelled", finished_at=now)
            )
            if res.rowcount != 1:
                return False
            await conn.execute(
                update(broadcast_outbox)
                .where(
                    and_(broadcast_outbox.c.job_id == job_id, broadcast_outbox.c.state == "pending")
                )
                .values(state="cancelled", updated_at=now)
            )
        return True

    async def set_status_message(self, job_id: int, chat: str, message: str) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(broadcast_jobs)
                .where(broadcast_jobs.c.id == job_id)
                .values(status_chat=str(chat), status_message=str(message))
            )

    async def open_jobs(self) -> list[Job]:
        """Jobs confirmed but not finished: what a restart must resume, oldest first."""
        q = (
            select(broadcast_jobs)
            .where(broadcast_jobs.c.state.in_(OPEN_JOB_STATES))
            .order_by(broadcast_jobs.c.id)
        )
        async with self.db.engine.connect() as conn:
            return [Job(**r._mapping) for r in await conn.execute(q)]

    async def recent_jobs(self, limit: int = 10) -> list[Job]:
        q = (
            select(broadcast_jobs)
            .where(broadcast_jobs.c.state != "draft")
            .order_by(broadcast_jobs.c.id.desc())
            .limit(limit)
        )
        async with self.db.engine.connect() as conn:
            return [Job(**r._mapping) for r in await conn.execute(q)]

    async def _move_job(self, job_id: int, from_states, **values) -> bool:
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                update(broadcast_jobs)
                .where(and_(broadcast_jobs.c.id == job_id, broadcast_jobs.c.state.in_(from_states)))
                .values(**values)
            )
            return res.rowcount == 1

    # ---- outbox rows -----------------------------------------------------------------------
    async def pending(self, job_id: int, after_id: int = 0, limit: int = 500) -> list[OutboxRow]:
        q = (
            select(*_ROW_COLUMNS)
            .where(
                and_(
                    broadcast_outbox.c.job_id == job_id,
                    broadcast_outbox.c.state == "pending",
                    broadcast_outbox.c.id > after_id,
                )
            )
            .order_by(broadcast_outbox.c.id)
            .limit(limit)
        )
        async with self.db.engine.connect() as conn:
            return [OutboxRow(*r) for r in await conn.execute(q)]

    async def claim(self, row_id: int) -> bool:
        """pending -> sending, committed before the message goes out."""
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                update(broadcast_outbox)
                .where(and_(broadcast_outbox.c.id == row_id, broadcast_outbox.c.state == "pending"))
                .values(
                    state="sending",
                    attempts=broadcast_outbox.c.attempts + 1,
                    updated_at=utcnow(),
                )
            )
            return res.rowcount == 1

    async def mark(
        self, row_id: int, state: str, error: str | None = None, chat_id: str | None = None
    ) -> None:
        """Record a row's outcome (or put it back to pending to retry)."""
        if state not in ROW_STATES:
            raise ValueError(state)
        values: dict = {"state": state, "updated_at": utcnow()}
        if error is not None:
            values["error"] = error[:200]
        if chat_id is not None:
            values["chat_id"] = str(chat_id)
        async with self.db.engine.begin() as conn:
            await conn.execute(
                update(broadcast_outbox).where(broadcast_outbox.c.id == row_id).values(**values)
            )

    async def apply(
        self, claims: list[int], marks: list[tuple[int, str, str | None, str | None]]
    ) -> set[int]:
        """One transaction for many rows: outcomes (row, state, error, chat_id) and claims
        (pending -> sending). Returns the ids actually claimed. The sender's group commit."""
        now = utcnow()
        t = broadcast_outbox
        async with self.db.engine.begin() as conn:
            plain: dict[str, list[int]] = {}
            for row_id, state, error, chat_id in marks:
                if state not in ROW_STATES:
                    raise ValueError(state)
                if error is None and chat_id is None:
                    plain.setdefault(state, []).append(row_id)
                    continue
                values: dict = {"state": state, "updated_at": now}
                if error is not None:
                    values["error"] = error[:200]
                if chat_id is not None:
                    values["chat_id"] = str(chat_id)
                await conn.execute(update(t).where(t.c.id == row_id).values(**values))
            for state, ids in plain.items():
                await conn.execute(
                    update(t).where(t.c.id.in_(ids)).values(state=state, updated_at=now)
                )
            if not claims:
                return set()
            res = await conn.execute(
                update(t)
                .where(and_(t.c.id.in_(claims), t.c.state == "pending"))
                .values(state="sending", attempts=t.c.attempts + 1, updated_at=now)
                .returning(t.c.id)
            )
            return set(res.scalars())

    # ---- several instances on PostgreSQL -------------------------------------------------------
    async def claim_next(self, job_id: int, limit: int = 1) -> list[OutboxRow]:
        """pending -> sending for up to `limit` rows no other instance holds (FOR UPDATE SKIP
        LOCKED), while the job is open, oldest first; [] when nothing is left to claim.

        One statement for the batch: one claim per row was one PostgreSQL transaction per
        message, and claims were the sender's bottleneck on a loaded machine."""
        t, j = broadcast_outbox, broadcast_jobs
        pick = (
            select(t.c.id)
            .where(
                and_(
                    t.c.job_id == job_id,
                    t.c.state == "pending",
                    t.c.job_id.in_(
                        select(j.c.id).where(j.c.id == job_id, j.c.state.in_(OPEN_JOB_STATES))
                    ),
                )
            )
            .order_by(t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(t)
            .where(t.c.id.in_(pick.scalar_subquery()))
            .values(state="sending", attempts=t.c.attempts + 1, updated_at=utcnow())
            .returning(*_ROW_COLUMNS)
        )
        async with self.db.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
        return sorted((OutboxRow(*r) for r in rows), key=lambda r: r.id)

    async def requeue_stale(self, job_id: int, older_than: float) -> int:
        """Rows `sending` for longer than any send takes: their instance died mid-send. Sent
        again (at-least-once: the only duplicates are the sends in flight at the kill)."""
        cutoff = utcnow() - dt.timedelta(seconds=older_than)
        t = broadcast_outbox
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                update(t)
                .where(and_(t.c.job_id == job_id, t.c.state == "sending", t.c.updated_at < cutoff))
                .values(state="pending", updated_at=utcnow())
            )
            return res.rowcount or 0

    async def in_flight(self, job_id: int) -> int:
        t = broadcast_outbox
        q = select(func.count()).where(and_(t.c.job_id == job_id, t.c.state == "sending"))
        async with self.db.engine.connect() as conn:
            return await conn.scalar(q) or 0

    async def recover(self, job_id: int) -> int:
        """After a crash: rows left `sending` may have gone out — mark them uncertain."""
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                update(broadcast_outbox)
                .where(
                    and_(broadcast_outbox.c.job_id == job_id, broadcast_outbox.c.state == "sending")
                )
                .values(state="uncertain", updated_at=utcnow())
            )
            return res.rowcount or 0

    async def counts(self, job_id: int) -> dict[str, int]:
        """How many rows are in each state (every state present, zeros included)."""
        q = (
            select(broadcast_outbox.c.state, func.count())
            .where(broadcast_outbox.c.job_id == job_id)
            .group_by(broadcast_outbox.c.state)
        )
        out = dict.fromkeys(ROW_STATES, 0)
        async with self.db.engine.connect() as conn:
            for state, n in await conn.execute(q):
                out[state] = n
        return out

    async def rows(self, job_id: int, state: str | None = None) -> list[OutboxRow]:
        cond = broadcast_outbox.c.job_id == job_id
        if state is not None:
            cond = and_(cond, broadcast_outbox.c.state == state)
        q = select(*_ROW_COLUMNS).where(cond).order_by(broadcast_outbox.c.id)
        async with self.db.engine.connect() as conn:
            return [OutboxRow(*r) for r in await conn.execute(q)]
