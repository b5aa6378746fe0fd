"""Per-user memory expires by time, not only by count: a periodic sweep of every cache.

Each cache checks its TTL lazily on read; without a sweep an idle bot keeps every user it ever
saw (up to each cache's cap) for good. The sweep drops expired entries every minute and, after a
large drop, asks glibc to hand freed memory back to the system, so an idle bot's RSS falls back
towards its start-up size.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections import OrderedDict
from typing import Protocol

log = logging.getLogger(__name__)

SWEEP_EVERY = 30.0  # seconds
TRIM_AFTER = 10_000  # entries dropped in one sweep before memory is handed back


class Sweepable(Protocol):
    def sweep(self, now: float | None = None) -> int: ...


def sweep_stamps(stamps: OrderedDict, older_than: float) -> int:
    """Drop entries of {key: last_seen} (oldest first) last seen before `older_than`."""
    dropped = 0
    while stamps:
        key, at = next(iter(stamps.items()))
        if at >= older_than:
            break
        del stamps[key]
        dropped += 1
    return dropped  # callers rebuild the dict with compact() when most of it went


def compact(d: OrderedDict) -> OrderedDict:
    """The same entries in a table sized for them (a dict never shrinks on deletes)."""
    return OrderedDict(d)


def sweep_all(caches: list[Sweepable]) -> int:
    dropped = 0
    for cache in caches:
        try:
            dropped += cache.sweep()
        except Exception:  # one broken cache must not keep the others from shrinking
            log.exception("sweeping %s failed", type(cache).__name__)
    if dropped >= TRIM_AFTER:
        trim()
    return dropped


async def sweep_forever(caches: list[Sweepable], every: float = SWEEP_EVERY) -> None:
    while True:
        await asyncio.sleep(every)
        dropped = sweep_all(caches)
        if dropped:
            log.info("memory sweep: %d expired per-user entries dropped", dropped)


def trim() -> None:
    """glibc keeps freed memory for reuse; malloc_trim gives it back (no-op elsewhere)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass
