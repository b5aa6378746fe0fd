"""A text channel's pages not yet shown (更多), in Redis between a user's turns."""

from __future__ import annotations

import json
import time

from bot.channels.text import CONTINUATION_TTL, Continuations, PendingOptions
from bot.shared.contexts import Turns
from bot.shared.hub import SharedState


class RedisContinuations(Continuations):
    """Continuations whose truth between turns is Redis (key pages:<channel>:<user_key>)."""

    def __init__(self, shared: SharedState, channel: str, ttl: float = CONTINUATION_TTL):
        super().__init__(ttl)
        self.turns = Turns(shared, f"pages:{channel}", ttl)

    def turn(self, user_key: str):
        return self.turns.turn(user_key, *self.parts(user_key)[1:])

    def parts(self, user_key: str):
        """(turns, load, save, drop) for this user (bot.shared.contexts.together)."""

        def load(raw: str | None) -> None:
            self._data.pop(user_key, None)
            if raw:
                self.put(user_key, json.loads(raw))

        def save() -> str | None:
            entry = self._data.get(user_key)
            if entry is None or entry[1] < time.monotonic():
                return None
            return json.dumps(entry[0], ensure_ascii=False)

        return self.turns, load, save, lambda: self._data.pop(user_key, None)

    def forget(self, user_key: str) -> None:
        super().forget(user_key)
        self.turns.forget(user_key)


class RedisPendingOptions(PendingOptions):
    """Numbered options awaiting a typed number, in Redis between turns (options:<channel>:…)."""

    def __init__(self, shared: SharedState, channel: str, ttl: float = CONTINUATION_TTL):
        super().__init__(ttl)
        self.turns = Turns(shared, f"options:{channel}", ttl)

    def turn(self, user_key: str):
        return self.turns.turn(user_key, *self.parts(user_key)[1:])

    def parts(self, user_key: str):
        """(turns, load, save, drop) for this user (bot.shared.contexts.together)."""

        def load(raw: str | None) -> None:
            self._data.pop(user_key, None)
            if raw:
                self._data[user_key] = (json.loads(raw), time.monotonic() + self.ttl)

        def save() -> str | None:
            entry = self._data.get(user_key)
            if entry is None or entry[1] < time.monotonic() or not entry[0]:
                return None
            return json.dumps(entry[0], ensure_ascii=False)

        return self.turns, load, save, lambda: self._data.pop(user_key, None)

    def forget(self, user_key: str) -> None:
        super().forget(user_key)
        self.turns.forget(user_key)
