"""A parsed WeChat message or event -> the text to reply (None: nothing to say, 'success')."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from wechatpy.messages import BaseMessage

from bot import actions
from bot.channels.base import Core
from bot.channels.text import TextTurns
from bot.channels.wechat.render import render
from bot.channels.wechat.settings import WeChatConfig
from bot.models import Message
from bot.shared.contexts import together
from bot.sweep import compact, sweep_stamps

log = logging.getLogger(__name__)

TOUCH_EVERY = 60.0  # seconds; last_seen only needs minute precision for the 48-hour window
WELCOME = "感谢关注民心通！"
MAX_KEY = 128  # WeChat's own limit on a menu key


def user_key_of(openid: str) -> str:
    return f"wx:{openid}"


class Responder:
    """Dispatch text, voice and events into the Conversation; keep pages and last_seen."""

    def __init__(self, core: Core, config: WeChatConfig):
        self.core = core
        self.config = config
        pages = core.continuations("wechat")
        options = core.pending_options("wechat")
        self.turns = TextTurns(core.conversation, render, config.reply_max_bytes, pages, options)
        self._touched: OrderedDict[str, float] = OrderedDict()
        core.conversation.commands.forgetters.append(self._forget_memory)
        core.services.caches += [self.turns.pages, self]  # swept for idle users (bot.sweep)

    @property
    def pages(self):
        return self.turns.pages

    async def respond(self, m: BaseMessage) -> str | None:
        """The reply text for one message, or None when WeChat expects no reply."""
        user_key = user_key_of(m.source or "")
        # One turn: with shared state the user's context, pages and options come from Redis
        # in one round trip and go back in one.
        t = self.turns
        async with together(user_key, self.core.services.contexts, t.pages, t.options):
            return await self._respond(m, m.source or "", user_key)

    async def _respond(self, m: BaseMessage, openid: str, user_key: str) -> str | None:
        if m.type == "event":
            return await self._event(m, openid, user_key)
        self._touch(openid, user_key)
        if m.type == "text":
            return await self.turns.answer(self._message(openid, m.content or ""))
        if m.type == "voice" and (m.recognition or "").strip():
            return await self.turns.answer(self._message(openid, m.recognition))
        # Images, other voice, locations, links, videos: we read text only.
        msg = self._message(openid, "")
        return self.turns.show(msg, self.core.conversation.unreadable(msg))

    async def _event(self, m: BaseMessage, openid: str, user_key: str) -> str | None:
        """Follow: welcome. Unfollow: forget them. Menu click: the key is a dialogue action."""
        event = (m.event or "").lower()
        if event in ("subscribe", "subscribe_scan"):
            self._touch(openid, user_key, force=True)
            msg = self._message(openid, "")
            reply = await self.core.conversation.press(msg, actions.HELP)
            reply.text = f"{WELCOME}\n{reply.text}"
            return self.turns.show(msg, reply)
        if event == "unsubscribe":
            await self._forget(user_key)
            return None  # WeChat delivers nothing to someone who just left
        if event == "click":
            self._touch(openid, user_key)
            key = (getattr(m, "key", "") or "")[:MAX_KEY]
            return await self.turns.press(self._message(openid, ""), key)
        return None  # VIEW (a link in the menu), location reports, template receipts…

    def _message(self, openid: str, text: str) -> Message:
        return self.core.message("wechat", openid, text, prefix="wx", chat=openid)

    def _touch(self, openid: str, user_key: str, force: bool = False) -> None:
        """Record last_seen (customer-service messages are allowed only within 48 h of it).

        Not awaited: the upsert goes out with the next write-behind batch, after the answer."""
        now = time.monotonic()
        last = self._touched.get(user_key)
        if not force and last is not None and now - last < TOUCH_EVERY:
            return
        self.core.store.seen(user_key, "wechat", openid)
        self._touched[user_key] = now
        self._touched.move_to_end(user_key)
        while len(self._touched) > 100_000:
            self._touched.popitem(last=False)

    def sweep(self, now: float | None = None) -> int:
        """Forget when users were last touched once that no longer saves a write."""
        dropped = sweep_stamps(
            self._touched, (time.monotonic() if now is None else now) - TOUCH_EVERY
        )
        if dropped > len(self._touched):
            self._touched = compact(self._touched)
        return dropped

    def _forget_memory(self, user_key: str) -> None:
        self._touched.pop(user_key, None)

    async def _forget(self, user_key: str) -> None:
        """They unfollowed: drop subscriptions, stored data and context."""
        try:
            removed = await self.core.conversation.commands.forget(user_key)
            log.info("WeChat user unfollowed; %d rows removed", removed)
        except Exception:
            log.exception("forgetting an unfollowed WeChat user failed")
