"""Per-user flood limits counted in Redis, so a flood spread over instances is limited once."""

from __future__ import annotations

import logging
import uuid

from bot.shared.hub import SharedState

log = logging.getLogger(__name__)

PASS, WARN, DROP = "pass", "warn", "drop"

# A sliding window of stamps per user (sorted set) plus a warned flag, in one round trip.
# Redis's own clock: instances' clocks may differ.
_CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  redis.call('DEL', KEYS[2])
  return 'pass'
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', window) then
  return 'warn'
end
return 'drop'
"""


class RedisFloodGate:
    """Same verdicts as the in-memory FloodGate: PASS, WARN once, then DROP until it clears."""

    def __init__(self, shared: SharedState, channel: str, max_messages: int, per_seconds: float):
        self.shared = shared
        self.channel = channel
        self.max_messages = max_messages
        self.per_seconds = per_seconds
        self._script = shared.redis.register_script(_CHECK)

    async def acheck(self, user) -> str:
        base = self.shared.key("flood", self.channel, str(user))
        try:
            return await self._script(
                keys=[base, base + ":warned"],
                args=[int(self.per_seconds * 1000), self.max_messages, uuid.uuid4().hex],
            )
        except Exception as e:  # Redis down: let the resident through rather than silence them
            log.warning("shared flood counter unavailable: %s", e)
            return PASS

    def forget(self, user) -> None:
        """Counters expire by themselves within the window."""
