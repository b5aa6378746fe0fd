"""Senders for channels other than Telegram (whose sender lives in its adapter)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.broadcast.errors import Blocked, Rejected, Unreachable
from bot.config import Config
from bot.storage import Database

log = logging.getLogger(__name__)


class WeChatSender:
    """Progress notices to WeChat users through the WeChat adapter's notifier."""

    rate_per_second = 20.0  # template messages: well under WeChat's per-minute API quota

    def __init__(self, notifier):
        self.notifier = notifier

    async def send(self, chat_id: str, text: str) -> None:
        outcome = await self.notifier.send_progress_notice(chat_id, text)
        if outcome == "sent":
            return
        if outcome == "blocked":
            raise Blocked("WeChat: user unreachable")
        if outcome == "skipped":
            raise Unreachable("WeChat: no template configured and outside the 48-hour window")
        # "failed" lumps API refusals with network errors; one try avoids double notices.
        raise Rejected("WeChat: send failed")


def wechat_sender(
    config: Config, db: Database
) -> tuple[WeChatSender, Callable[[], Awaitable[None]]] | None:
    """A WeChat sender when WeChat is configured with an app secret; else None (rows skipped)."""
    if config.wechat is None:
        return None
    try:
        from bot.channels.wechat.notify import WeChatNotifier
    except ImportError:  # the WeChat adapter is optional
        log.info("WeChat notifier unavailable: WeChat recipients will be skipped")
        return None
    notifier = WeChatNotifier(config.wechat, db)
    if not notifier.can_send:
        return None
    return WeChatSender(notifier), notifier.close
