"""Per-user dialogue context: the last project and intent (a follow-up is about it)."""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field

CONTEXT_TTL = 30 * 60  # a follow-up half an hour later is a new conversation
MAX_USERS = 200_000  # bounded memory: least recently active users are forgotten first


@dataclass
class Context:
    last_project: int | None = None
    last_intent: str | None = None
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

    @contextlib.asynccontextmanager
    async def turn(self, user_key: str):
        """Around one message of this user: here nothing; a shared store loads and saves."""
        yield
