"""The storage channels may use (bot.channels.base.Store), on one Database."""

from __future__ import annotations

import datetime as dt

from bot.storage.db import Database
from bot.storage.subscriptions import SubscriptionRepo
from bot.storage.wechat import WeChatDedupe, last_seen


class ChannelStore:
    def __init__(self, db: Database, subscriptions: SubscriptionRepo | None = None):
        self.db = db
        self.subscriptions = subscriptions or SubscriptionRepo(db)
        self._dedupes: dict[str, WeChatDedupe] = {}

    async def touch_user(self, user_key: str, channel: str, chat_id: str) -> None:
        await self.subscriptions.touch_user(user_key, channel, chat_id)

    def seen(self, user_key: str, channel: str, chat_id: str) -> None:
        """touch_user without waiting: written with the next write-behind batch."""
        self.subscriptions.seen(user_key, channel, chat_id)

    async def last_seen(self, user_key: str) -> dt.datetime | None:
        return await last_seen(self.db, user_key)

    def dedupe(self, channel: str) -> WeChatDedupe:
        """The reply memory of one channel (one per channel and process)."""
        if channel not in self._dedupes:
            self._dedupes[channel] = WeChatDedupe(self.db)
        return self._dedupes[channel]
