"""Answer once across instances: the first instance to claim a message computes the reply; a
retry on any instance waits for that reply instead of computing its own.

A claim is `SET key pending:<instance> NX` with a short expiry, so a claimer that dies frees the
message for the next retry; the reply then replaces the claim for the dedupe TTL.
"""

from __future__ import annotations

import asyncio
import time

from bot.shared.hub import SharedState

PENDING = "pending:"
CLAIM_TTL = 6.0  # seconds: past WeChat's 5 s; a dead claimer's message is free for the next try
REPLY_TTL = 15 * 60  # seconds; WeChat's retries all come within about 15 s
POLL = 0.05  # seconds between looks at a reply another instance is computing
CLAIMED = object()  # wait(): the claim is ours now (the first claimer died)


class SharedOnce:
    def __init__(self, shared: SharedState, name: str, claim_ttl: float = CLAIM_TTL):
        self.shared = shared
        self.name = name
        self.claim_ttl = claim_ttl

    def _key(self, key: str) -> str:
        return self.shared.key("once", self.name, key)

    async def claim(self, key: str) -> str | None:
        """None: ours to compute. Otherwise the reply already given, or a PENDING marker."""
        k = self._key(key)
        r = self.shared.redis
        if await r.set(k, PENDING + self.shared.instance, nx=True, px=int(self.claim_ttl * 1000)):
            return None
        value = await r.get(k)
        if value is None and await r.set(
            k, PENDING + self.shared.instance, nx=True, px=int(self.claim_ttl * 1000)
        ):
            return None  # expired between the two calls
        return value or PENDING

    async def wait(self, key: str, timeout: float):
        """The reply another instance is computing; None past `timeout`; CLAIMED when its
        claimer vanished and the claim is now ours."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            value = await self.claim(key)
            if value is None:
                return CLAIMED
            if not value.startswith(PENDING):
                return value
        return None

    async def publish(self, key: str, reply: str, ttl: float | None = None) -> None:
        ttl = REPLY_TTL if ttl is None else ttl
        await self.shared.redis.set(self._key(key), reply, px=int(ttl * 1000))


def pending(value: str | None) -> bool:
    return value is not None and value.startswith(PENDING)
