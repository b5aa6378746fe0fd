"""Audit log: who did what, to how many, when — admins' and staff's actions, and refusals.

Rows describe actions taken *by* admins and staff (or refused to someone). People are stored
by pseudonymous key (u:<HMAC of their channel key>, the question log's secret), never by id;
a name only for admins and staff acting in office (the name residents see on their progress
entries), never a resident's name or message text. /forget anonymises a person's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.sql import Insert

from bot.privacy import redact
from bot.storage.db import Database
from bot.storage.qlog import pseudonym, stored_secret
from bot.storage.schema import audit_log, utcnow

PERSON_PREFIXES = ("tg:", "wx:", "console:", "web:")  # people; cli:/system are operators
FORGOTTEN = "已删除"  # what a forgotten person's rows say instead of who
PSEUDONYM_CHARS = 24  # 96 bits of the HMAC: no collisions among a city's residents


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
    def __init__(self, db: Database, secret: str | bytes | None = None):
        self.db = db
        # The question log's secret (privacy.hmac_secret, else the one stored in the database):
        # the same person has the same key in both.
        self._secret = secret.encode() if isinstance(secret, str) else secret

    async def actor_key(self, who: str) -> str:
        """What is stored for `who`: a pseudonym for a person, operators' names as they are."""
        if not who.startswith(PERSON_PREFIXES):
            return who[:128]
        if self._secret is None:
            self._secret = await stored_secret(self.db)
        return "u:" + pseudonym(self._secret, who)[:PSEUDONYM_CHARS]

    async def entry(
        self,
        who: str,
        action: str,
        details: str = "",
        count: int | None = None,
        who_name: str = "",
    ) -> Insert:
        """The INSERT for one entry, to run in the transaction of what it records."""
        return audit_log.insert().values(
            at=utcnow(),
            who=await self.actor_key(who),
            who_name=who_name[:128],
            action=action[:32],
            details=redact(details),  # an admin's note or a refused message may quote a phone
            count=count,
        )

    async def record(
        self,
        who: str,
        action: str,
        details: str = "",
        count: int | None = None,
        who_name: str = "",
    ) -> None:
        stmt = await self.entry(who, action, details, count, who_name)
        async with self.db.engine.begin() as conn:
            await conn.execute(stmt)

    async def forget(self, user_key: str) -> int:
        """Anonymise a person's rows: the action stays on record, who did it does not."""
        keys = [await self.actor_key(user_key), user_key]  # rows written before pseudonyms too
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                update(audit_log)
                .where(audit_log.c.who.in_(keys))
                .values(who=FORGOTTEN, who_name="")
            )
            # a refusal written before pseudonyms kept the whole message: keep its command only
            await conn.execute(
                update(audit_log)
                .where(audit_log.c.who == FORGOTTEN, audit_log.c.action == "refused")
                .values(details="")
            )
        return res.rowcount or 0

    async def recent(self, limit: int = 20, action: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            q = q.where(audit_log.c.action == action)
        async with self.db.engine.connect() as conn:
            return [AuditEntry(**r._mapping) for r in await conn.execute(q)]
