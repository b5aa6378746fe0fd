"""A parsed WeChat message or event -> the text to reply (None: nothing to say, 'success')."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from wechatpy.messages import BaseMessage

from bot.channels.wechat.render import MORE_WORDS, Continuations, paginate, render
from bot.config import WeChatConfig
from bot.dialogue import Dialogue
from bot.models import Message, Reply
from bot.services import Services
from bot.storage import Database
from bot.storage.forget import forget_person
from handlers import smalltalk

log = logging.getLogger(__name__)

TOUCH_EVERY = 60.0  # seconds; last_seen only needs minute precision for the 48-hour window
WELCOME = "感谢关注民心通！"
NO_MORE = "没有更多内容了。请直接提问，或回复「帮助」查看用法。"
MAX_KEY = 128  # WeChat's own limit on a menu key


def user_key_of(openid: str) -> str:
    return f"wx:{openid}"


class Responder:
    """Dispatch text, voice and events into the dialogue; keep pages and last_seen."""

    def __init__(self, services: Services, config: WeChatConfig, db: Database | None = None):
        self.services = services
        self.config = config
        self.db = db
        self.dialogue = Dialogue(services)
        self.pages = Continuations()
        self._touched: OrderedDict[str, float] = OrderedDict()

    async def respond(self, m: BaseMessage) -> str | None:
        """The reply text for one message, or None when WeChat expects no reply."""
        openid = m.source or ""
        user_key = user_key_of(openid)
        if m.type == "event":
            return await self._event(m, openid, user_key)
        await self._touch(openid, user_key)
        if m.type == "text":
            return await self._text(openid, user_key, m.content or "")
        if m.type == "voice" and (m.recognition or "").strip():
            return await self._text(openid, user_key, m.recognition)
        # Images, other voice, locations, links, videos: we read text only.
        return self._page(user_key, smalltalk.unreadable(self.services.kb.kb))

    async def _text(self, openid: str, user_key: str, text: str) -> str:
        """更多 shows the next page; anything else goes to the dialogue."""
        if text.strip().lower() in MORE_WORDS:
            return self.pages.next(user_key) or NO_MORE
        reply = await self.dialogue.respond(self._message(openid, text), numbered=True)
        return self._page(user_key, reply)

    async def _event(self, m: BaseMessage, openid: str, user_key: str) -> str | None:
        """Follow: welcome. Unfollow: forget them. Menu click: the key is a dialogue action."""
        event = (m.event or "").lower()
        if event in ("subscribe", "subscribe_scan"):
            await self._touch(openid, user_key, force=True)
            reply = await self.dialogue.act(self._message(openid, ""), "help", numbered=True)
            reply.text = f"{WELCOME}\n{reply.text}"
            return self._page(user_key, reply)
        if event == "unsubscribe":
            await self._forget(user_key)
            return None  # WeChat delivers nothing to someone who just left
        if event == "click":
            await self._touch(openid, user_key)
            key = (getattr(m, "key", "") or "")[:MAX_KEY]
            reply = await self.dialogue.act(self._message(openid, ""), key, numbered=True)
            return self._page(user_key, reply)
        return None  # VIEW (a link in the menu), location reports, template receipts…

    def _message(self, openid: str, text: str) -> Message:
        return Message(
            "wechat",
            user_key_of(openid),
            text,
            chat_key=openid,
            is_admin=openid in self.config.admins,
            is_staff=openid in self.config.staff,
        )

    def _page(self, user_key: str, reply: Reply) -> str:
        """The first page now; the rest waits for 更多 (a new question replaces it)."""
        pages = paginate(render(reply), self.config.reply_max_bytes)
        self.pages.put(user_key, pages[1:])
        return pages[0]

    async def _touch(self, openid: str, user_key: str, force: bool = False) -> None:
        """Record last_seen (customer-service messages are allowed only within 48 h of it)."""
        repo = self.services.subscriptions
        touch = getattr(repo, "touch_user", None)
        if touch is None:
            return
        now = time.monotonic()
        last = self._touched.get(user_key)
        if not force and last is not None and now - last < TOUCH_EVERY:
            return
        try:
            await touch(user_key, "wechat", openid)
        except Exception:  # losing last_seen must not cost the resident an answer
            log.exception("touch_user failed for a WeChat user")
            return
        self._touched[user_key] = now
        self._touched.move_to_end(user_key)
        while len(self._touched) > 100_000:
            self._touched.popitem(last=False)

    async def _forget(self, user_key: str) -> None:
        """They unfollowed: drop subscriptions, stored data and context."""
        self.services.contexts.forget(user_key)
        self.pages.forget(user_key)
        self._touched.pop(user_key, None)
        try:
            removed = 0
            if self.db is None and self.services.subscriptions is not None:
                removed = await self.services.subscriptions.unsubscribe(user_key, None)
            removed += await forget_person(self.services, self.db, user_key)
            log.info("WeChat user unfollowed; %d rows removed", removed)
        except Exception:
            log.exception("forgetting an unfollowed WeChat user failed")
