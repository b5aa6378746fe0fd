"""Which Telegram updates get answered, how often, and in what order.

Updates are processed concurrently, but one user's messages are answered in the order sent:
`UserOrderProcessor` (PTB's hook for custom concurrency) holds a per-user lock around each update.
Before queuing for that lock it drops what the bot ignores (edits, channel posts, group chatter
that does not address the bot) and applies per-user flood control, so a flood from one user never
occupies the concurrency slots other residents need.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message as TgMessage
from telegram import MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

PASS, WARN, DROP = "pass", "warn", "drop"
MAX_TRACKED_USERS = 100_000  # flood windows kept; least recently active forgotten first


class FloodGate:
    """Sliding-window limit per user: over the limit, one warning, then silence until it clears."""

    def __init__(self, max_messages: int, per_seconds: float, max_users: int = MAX_TRACKED_USERS):
        self.max_messages = max_messages
        self.per_seconds = per_seconds
        self.max_users = max_users
        self._seen: OrderedDict[Any, tuple[deque[float], list[bool]]] = OrderedDict()

    def check(self, user: Any, now: float | None = None) -> str:
        """PASS (and count it), WARN (first refusal in this window) or DROP."""
        now = time.monotonic() if now is None else now
        entry = self._seen.get(user)
        if entry is None:
            entry = (deque(), [False])
            self._seen[user] = entry
            while len(self._seen) > self.max_users:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(user)
        stamps, warned = entry
        while stamps and now - stamps[0] >= self.per_seconds:
            stamps.popleft()
        if len(stamps) < self.max_messages:
            stamps.append(now)
            warned[0] = False
            return PASS
        if warned[0]:
            return DROP
        warned[0] = True
        return WARN

    async def acheck(self, user: Any) -> str:
        """check(), as a shared gate (bot.shared.flood) is called."""
        return self.check(user)

    def forget(self, user: Any) -> None:
        self._seen.pop(user, None)

    def sweep(self, now: float | None = None) -> int:
        """Drop users whose window has emptied (least recently seen first: they are in order)."""
        now = time.monotonic() if now is None else now
        dropped = 0
        while self._seen:
            user, (stamps, _) = next(iter(self._seen.items()))
            if stamps and now - stamps[-1] < self.per_seconds:
                break
            del self._seen[user]
            dropped += 1
        if dropped > len(self._seen):  # a dict never shrinks its table on deletes: rebuild it
            self._seen = OrderedDict(self._seen)
        return dropped


def addressed(update: Update, bot_username: str) -> bool:
    """Private messages and button presses, and in groups only commands or @mentions of the bot."""
    if update.callback_query is not None:
        return True
    msg = update.message  # edited messages and channel posts are not `message`: ignored
    if msg is None or update.effective_user is None:
        return False
    if msg.chat.type == ChatType.PRIVATE:
        return True
    if msg.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return False
    return is_command(msg) or mentions(msg, bot_username)


def is_command(msg: TgMessage) -> bool:
    ents = msg.entities or ()
    return bool(ents) and ents[0].type == MessageEntity.BOT_COMMAND and ents[0].offset == 0


def mentions(msg: TgMessage, bot_username: str) -> bool:
    want = "@" + bot_username.lower()
    for ent, text in msg.parse_entities([MessageEntity.MENTION]).items():
        if text.lower() == want and ent.type == MessageEntity.MENTION:
            return True
    return False


class UserOrderProcessor(BaseUpdateProcessor):
    """Concurrent across users, in order within one user, flood-limited, ignoring what we ignore."""

    def __init__(
        self,
        max_concurrent_updates: int,
        flood: FloodGate,
        bot_username: Callable[[], str],
        on_flood: Callable[[Update], Awaitable[None]],
        on_drop: Callable[[Update], Awaitable[None]],
        around: Callable[[object, Awaitable[Any]], Awaitable[None]] | None = None,
    ):
        super().__init__(max_concurrent_updates)
        self.flood = flood
        self.bot_username = bot_username
        self.on_flood = on_flood
        self.on_drop = on_drop
        self.around = around  # the durable inbox: marks the update sending, then handled
        self._locks: dict[int, list] = {}  # user id -> [lock, holders]; only users in flight

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        processing = self._process(update, coroutine)
        await (self.around(update, processing) if self.around else processing)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or not addressed(update, self.bot_username()):
            coroutine.close()  # never started: nothing to clean up
            return
        user = update.effective_user.id
        verdict = await self.flood.acheck(user)
        if verdict == DROP:
            coroutine.close()
            log.info("flood control: dropped an update from user tg:%s", user)
            await self.on_drop(update)
            return
        if verdict == WARN:
            coroutine.close()
            log.info("flood control: user tg:%s told to slow down", user)
            coroutine = self.on_flood(update)  # after the answers already on their way
        entry = self._locks.get(user)
        if entry is None:
            entry = self._locks[user] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                await coroutine
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[user]

    @property
    def users_in_flight(self) -> int:
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
