"""Audit log: who did what, to how many, when — admins' and staff's actions, and refusals.

Rows describe actions taken *by* admins and staff (or refused to someone); a resident's /forget
is recorded without naming the resident, so the log never keeps what /forget deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.schema import audit_log, utcnow


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    who: str
    who_name: str
    action: str
    details: str
    count: int | None


class AuditRepo:
    def __init__(self, db: Database):
        self.db = db

    async def record(
        self,
        who: str,
        action: str,
        details: str = "",
        count: int | None = None,
        who_name: str = "",
    ) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                audit_log.insert().values(
                    at=utcnow(),
                    who=who[:128],
                    who_name=who_name[:128],
                    action=action[:32],
                    details=details,
                    count=count,
                )
            )

    async def recent(self, limit: int = 20, action: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            q = q.where(audit_log.c.action == action)
        async with self.db.engine.connect() as conn:
            return [AuditEntry(**r._mapping) for r in await conn.execute(q)]
