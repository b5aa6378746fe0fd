"""/forget and WeChat's unfollow: every row about one person, in every table, in one call."""

from __future__ import annotations

import logging

from bot.storage.audit import AuditRepo
from bot.storage.db import Database

log = logging.getLogger(__name__)


async def forget_person(db: Database, question_log, user_key: str) -> int:
    """Delete the person's rows (user tables, question log); anonymise their audit rows."""
    removed = await db.forget_user(user_key)
    secret = None
    if question_log is not None and hasattr(question_log, "forget"):  # keyed by an HMAC
        removed += await question_log.forget(user_key) or 0
        secret = await question_log.secret()
    removed += await AuditRepo(db, secret).forget(user_key)
    return removed
