"""Per-user dialogue context: the last project and intent (a follow-up is about it)."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.models import Button

# A follow-up within eight minutes continues the conversation, a later one starts anew; past it
# the periodic sweep (bot.sweep, every 30 s) frees the context, so an idle bot gives back the
# memory of a busy hour within ten minutes.
CONTEXT_TTL = 8 * 60
MAX_USERS = 200_000  # bounded memory: least recently active users are forgotten first


class _NoTurn:
    """The turn of an in-memory store: nothing to load before a message or save after it.
    One reusable object (a generator-based context manager per store per message cost ~10 µs
    each, three or four of them per message)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_exc) -> bool:
        return False


NO_TURN = _NoTurn()


@dataclass
class Context:
    last_project: int | None = None
    last_intent: str | None = None
    last_item: str | None = None  # the sub-item of last_project the last answer was about
    # A self-check in progress (handlers.selfcheck.SelfCheck): its answers live only here.
    selfcheck: object | None = None
    # The buttons of the last reply, whatever the channel showed: a typed label acts like one.
    offered: list[Button] = field(default_factory=list)
    # Hand-off and feedback (issue 17): misses in a row, whether the last reply asked back,
    # the conversation's questions (redacted) for the copyable summary, projects offered 有用/没用.
    misses: int = 0
    asked_back: bool = False
    asked: list[tuple[str, int | None]] = field(default_factory=list)
    rated: list[int] = field(default_factory=list)
    updated: float = field(default_factory=time.monotonic)


class ContextStore:
    """In-memory, least-recently-used, with expiry. Context is short-lived by design."""

    def __init__(self, ttl: float = CONTEXT_TTL, max_users: int = MAX_USERS):
        self.ttl = ttl
        self.max_users = max_users
        self._data: OrderedDict[str, Context] = OrderedDict()

    def get(self, user_key: str) -> Context:
        ctx = self._data.get(user_key)
        if ctx is None or time.monotonic() - ctx.updated > self.ttl:
            ctx = Context()
        return ctx

    def put(self, user_key: str, ctx: Context) -> None:
        ctx.updated = time.monotonic()
        self._data[user_key] = ctx
        self._data.move_to_end(user_key)
        while len(self._data) > self.max_users:
            self._data.popitem(last=False)

    def forget(self, user_key: str) -> None:
        self._data.pop(user_key, None)

    def sweep(self, now: float | None = None) -> int:
        """Drop expired contexts (least recently active first; they are in that order)."""
        cutoff = (time.monotonic() if now is None else now) - self.ttl
        dropped = 0
        while self._data:
            key, ctx = next(iter(self._data.items()))
            if ctx.updated >= cutoff:
                break
            del self._data[key]
            dropped += 1
        if dropped > len(self._data):  # a dict never shrinks its table on deletes: rebuild it
            self._data = OrderedDict(self._data)
        return dropped

    def __len__(self) -> int:
        return len(self._data)

    def turn(self, user_key: str):
        """Around one message of this user: here nothing; a shared store loads and saves."""
        return NO_TURN
