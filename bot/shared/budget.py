"""The global send budget: one schedule of send slots in Redis that every instance's senders
draw from, so two or three instances together send at the configured rate, never above it.

The same algorithm as bot.broadcast.limits.Pacer (slots `1/rate` apart, a 429 moves every later
slot past the pause), kept in Redis and advanced by one Lua script on Redis's clock.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.broadcast.limits import Pacer
from bot.shared.hub import SharedState

log = logging.getLogger(__name__)

# KEYS[1] next free slot (ms), KEYS[2] paused-until (ms); ARGV[1] interval (ms), ARGV[2] pause
# (ms, 0: none). Returns {wait ms for the slot just reserved, paused-until ms - now}.
_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
local pause = tonumber(ARGV[2])
if pause > 0 then
  if now + pause > paused then
    paused = now + pause
    redis.call('SET', KEYS[2], paused, 'PX', pause + 1000)
  end
  return {0, paused - now}
end
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now, paused)
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 60000)
return {slot - now, paused - now}
"""


class RedisPacer:
    """Pacer's interface (acquire, pause, paused) on the shared schedule of one channel."""

    def __init__(self, shared: SharedState, channel: str, rate: float):
        self.interval_ms = max(1, round(1000.0 / rate))
        self._keys = [shared.key("budget", channel, "next"), shared.key("budget", channel, "pause")]
        self._script = shared.redis.register_script(_SLOT)
        self._paused_until = 0.0  # local monotonic view of the shared pause
        self.round_trips = 0
        self._local = Pacer(rate)  # while Redis does not answer: this process's share alone
        self._tasks: set[asyncio.Task] = set()

    async def _call(self, pause_ms: int) -> tuple[float, float]:
        self.round_trips += 1
        wait_ms, paused_ms = await self._script(keys=self._keys, args=[self.interval_ms, pause_ms])
        now = time.monotonic()
        self._paused_until = now + max(0, int(paused_ms)) / 1000.0
        return int(wait_ms) / 1000.0, now

    async def acquire(self) -> None:
        while True:
            try:
                wait, _ = await self._call(0)
            except Exception as e:
                log.warning("shared send budget unavailable, pacing locally: %s", e)
                await self._local.acquire()
                return
            due = time.monotonic() + wait
            if wait > 0:
                await asyncio.sleep(wait)
            if time.monotonic() - due > 2 * self.interval_ms / 1000.0:
                continue  # woke late (a busy loop): sending now would bunch with later slots
            if not self.paused():
                return
            # a 429 arrived (on any instance) while this sender waited: queue again after it

    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def pause(self, seconds: float) -> None:
        """Telegram's 429 is per bot, so it pauses every instance."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._local.pause(seconds)
        task = asyncio.get_running_loop().create_task(self._call(max(1, int(seconds * 1000))))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("shared pause not recorded: %s", task.exception())
