"""Pacing for outgoing messages: an overall rate that a 429 can pause, and spacing per chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Hands out send slots `1/rate` seconds apart; `pause(s)` moves every later slot past it.

    Slots are reserved in order, so senders waiting together never burst; `burst` lets a sender
    that fell behind catch up by that many slots (1 = never faster than the rate).
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable] = asyncio.sleep,
    ):
        self.interval = 1.0 / rate
        self.burst = max(1.0, burst)
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._paused_until = 0.0

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def paused(self) -> bool:
        return self._clock() < self._paused_until

    def pause(self, seconds: float) -> None:
        """Telegram's 429 is global: nobody sends until `seconds` from now."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self) -> None:
        while True:
            now = self._clock()
            earliest = now - (self.burst - 1) * self.interval
            slot = max(self._next, earliest, self._paused_until)
            self._next = slot + self.interval
            if slot > now:
                await self._sleep(slot - now)
            if self._clock() >= self._paused_until:
                return
            # a 429 arrived while this sender waited for its slot: queue again after the pause


class ChatSpacing:
    """At most one message per `interval` seconds to the same chat."""

    PRUNE_AT = 50_000

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable] = asyncio.sleep,
    ):
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._next: dict[str, float] = {}

    async def wait(self, chat: str) -> None:
        """Return when `chat` may get a message; call `sent(chat)` right as it goes out."""
        if self.interval <= 0:
            return
        while True:
            now = self._clock()
            if len(self._next) >= self.PRUNE_AT:  # forget chats whose spacing has long passed
                self._next = {c: t for c, t in self._next.items() if t > now}
            ready = self._next.get(chat, 0.0)
            if ready <= now:
                self._next[chat] = now + self.interval  # held for us until we really send
                return
            await self._sleep(ready - now)

    def sent(self, chat: str) -> None:
        """Count the interval from the moment the message actually went out."""
        if self.interval > 0:
            self._next[chat] = self._clock() + self.interval
