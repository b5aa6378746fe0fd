"""Residents' 有用/没用 on answers and their suggestions for next year's list — anonymous.

Neither table has a user column: a row says which answer (project, intent) was judged, or what
was suggested, never who did it. Texts are redacted before they are written. Rows older than
privacy.retention_days are purged like the question log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select

from bot.privacy import redact
from bot.storage.db import Database
from bot.storage.schema import answer_feedback, suggestions, utcnow

MAX_TEXT = 300


@dataclass(frozen=True)
class Feedback:
    at: dt.datetime
    channel: str
    project: int
    intent: str
    helpful: bool
    question: str | None


@dataclass(frozen=True)
class Suggestion:
    at: dt.datetime
    channel: str
    text: str
    project: int | None


class FeedbackRepo:
    def __init__(self, db: Database, retention_days: int = 180):
        self.db = db
        self.retention_days = retention_days

    async def add_feedback(
        self, channel: str, project: int, intent: str, helpful: bool, question: str | None
    ) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                answer_feedback.insert().values(
                    at=utcnow(),
                    channel=channel[:16],
                    project=project,
                    intent=intent[:20],
                    helpful=helpful,
                    question=redact(question.strip()[:MAX_TEXT]) if question else None,
                )
            )

    async def add_suggestion(self, channel: str, text: str, project: int | None) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                suggestions.insert().values(
                    at=utcnow(),
                    channel=channel[:16],
                    text=redact(text.strip()[:MAX_TEXT]),
                    project=project,
                )
            )

    async def feedback(self, since: dt.datetime) -> list[Feedback]:
        t = answer_feedback
        q = select(t.c.at, t.c.channel, t.c.project, t.c.intent, t.c.helpful, t.c.question)
        q = q.where(t.c.at >= since).order_by(t.c.at, t.c.id)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [Feedback((r[0]), r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]

    async def suggestions(self, since: dt.datetime) -> list[Suggestion]:
        t = suggestions
        q = select(t.c.at, t.c.channel, t.c.text, t.c.project).where(t.c.at >= since)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(q.order_by(t.c.at, t.c.id))).all()
        return [Suggestion((r[0]), *r[1:]) for r in rows]

    async def purge(self, now: dt.datetime | None = None) -> int:
        """Delete rows older than the retention period."""
        cutoff = (now or utcnow()) - dt.timedelta(days=self.retention_days)
        removed = 0
        async with self.db.engine.begin() as conn:
            for t in (answer_feedback, suggestions):
                res = await conn.execute(delete(t).where(t.c.at < cutoff))
                removed += res.rowcount or 0
        return removed
