"""Flood control for the web API: sliding windows per session and per client address."""

from __future__ import annotations

import time
from collections import OrderedDict, deque

MAX_KEYS = 100_000  # bounded memory: the least recently seen senders are forgotten first


class Window:
    """At most `limit` events per `seconds` for each key."""

    def __init__(self, limit: int, seconds: float, max_keys: int = MAX_KEYS):
        self.limit = limit
        self.seconds = seconds
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one event for key; False (and not counted) when the window is full."""
        now = time.monotonic() if now is None else now
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        self._events.move_to_end(key)
        while events and now - events[0] >= self.seconds:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        self._events.pop(key, None)
