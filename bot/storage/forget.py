"""/forget and WeChat's unfollow: every row about one person, in every table, in one call."""

from __future__ import annotations

import logging

from bot.services import Services
from bot.storage.audit import AuditRepo
from bot.storage.db import Database

log = logging.getLogger(__name__)


async def forget_person(services: Services, db: Database | None, user_key: str) -> int:
    """Delete the person's rows (user tables, question log); anonymise their audit rows."""
    removed = await db.forget_user(user_key) if db is not None else 0
    qlog = services.question_log
    secret = None
    if qlog is not None and hasattr(qlog, "forget"):  # rows keyed by an HMAC of the user key
        removed += await qlog.forget(user_key) or 0
        secret = await qlog.secret()
    if db is not None:
        removed += await AuditRepo(db, secret).forget(user_key)
    services.contexts.forget(user_key)
    return removed
