"""Broadcast pushes to WeChat users, within WeChat's rules (see notify.py)."""

from __future__ import annotations

from bot.channels.base import Sender
from bot.channels.errors import Blocked, Rejected, Unreachable
from bot.channels.wechat.notify import WeChatNotifier


class WeChatSender(Sender):
    """Progress notices and broadcasts through the notifier: template messages where one is
    configured, else customer-service messages inside the 48-hour window and the quota."""

    rate_per_second = 20.0  # template messages: well under WeChat's per-minute API quota

    def __init__(self, notifier: WeChatNotifier):
        self.notifier = notifier

    async def send(self, chat_id: str, text: str) -> None:
        outcome = await self.notifier.send_progress_notice(chat_id, text)
        if outcome == "sent":
            return
        if outcome == "blocked":
            raise Blocked("WeChat: user unreachable")
        if outcome == "skipped":
            raise Unreachable("not reachable on WeChat now (no template; outside the window)")
        # "failed" lumps API refusals with network errors; one try avoids double notices.
        raise Rejected("WeChat: send failed")

    async def reachable(self, recipients: list[tuple[str, str]]) -> int:
        return sum([await self.notifier.can_reach(chat_id) for _, chat_id in recipients])

    async def close(self) -> None:
        await self.notifier.close()
