"""Privacy notices (first contact, personal data removed) and deleting one's records by text."""

from __future__ import annotations

import logging

from bot.models import Reply
from bot.privacy import FORGOTTEN, Redacted, asks_to_forget  # noqa: F401  (one vocabulary)

log = logging.getLogger(__name__)

PII_REMOVED = "为保护您的隐私，已删除消息中的个人信息，请勿发送身份证号、手机号等。"
FIRST_CONTACT = (
    "隐私说明：民心通保存您提的问题（去除个人信息、不含姓名，用于改进回答）和您的订阅"
    "（用于发送进展通知），问题保存{days}天后自动删除。"
    "发送 /forget 或“删除我的记录”可随时删除。"
)


async def notices(question_log, user_key: str, found: Redacted | None = None) -> list[str]:
    """The notices this user has not seen yet: personal data removed, then first contact."""
    first_time = getattr(question_log, "first_time", None)
    if first_time is None:  # nothing is stored: nothing to tell
        return []
    out = []
    if found is not None and found.found and await first_time(user_key, "pii"):
        out.append(PII_REMOVED)
    if await first_time(user_key, "first"):
        out.append(FIRST_CONTACT.format(days=question_log.retention_days))
    return out


async def unseen(services, user_key: str, found: Redacted | None = None) -> list[str]:
    """The notices to show now, unless notices are switched off or their state is unreachable."""
    if not services.privacy_notices:
        return []
    try:
        return await notices(services.question_log, user_key, found)
    except Exception:  # a notice is not worth a lost answer; it is shown next time
        log.exception("privacy notice state unavailable")
        return []


async def with_notices(
    services, user_key: str, reply: Reply, found: Redacted | None = None
) -> Reply:
    """Add the notices this resident has not seen yet, after the answer (key fact first)."""
    lines = await unseen(services, user_key, found)
    if lines:
        reply.text = "\n\n".join([reply.text, *lines])
    return reply


async def forget(services, user_key: str) -> Reply:
    """删除我的记录 typed on any channel: the same as /forget."""
    removed = await services.forget(user_key)
    log.info("forgot a user on request: %d rows", removed)
    return Reply(FORGOTTEN)
