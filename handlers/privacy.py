"""Privacy notices (first contact, personal data removed) and deleting one's records by text."""

from __future__ import annotations

from bot.privacy import FORGOTTEN, Redacted, asks_to_forget  # noqa: F401  (one vocabulary)

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
