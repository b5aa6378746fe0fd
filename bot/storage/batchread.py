"""Reads many answer paths need, gathered: lookups made while one is in flight share one query.

An answer that needs a row (has this resident seen the privacy notice?) awaits it; under load
dozens of residents ask at once, and on SQLite each query is a hop into the driver's thread that
also hands the GIL back and forth. So lookups queue here: the first starts a reader, which waits
a few event-loop turns for others to join, then answers all queued keys with one query; keys
asked while that query runs go into the next one. Idle, this costs no time at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

GATHER_TURNS = 3  # event-loop turns a query waits for other lookups to join it
MAX_KEYS = 500  # keys per query at most (SQLite's bound-parameter limit is far above)


class BatchedReads(Generic[K, V]):
    """`await get(key)`: fetch(keys) -> {key: value} answers every key queued with it; a key
    it leaves out gets `missing`. A failed fetch raises in every lookup it was to answer."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[dict[K, V]]], missing: V = None):
        self.fetch = fetch
        self.missing = missing
        self._wanted: dict[K, list[asyncio.Future]] = {}
        self._reader: asyncio.Task | None = None

    async def get(self, key: K) -> V:
        fut = asyncio.get_running_loop().create_future()
        self._wanted.setdefault(key, []).append(fut)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.ensure_future(self._read())
        return await fut

    async def _read(self) -> None:
        for _ in range(GATHER_TURNS):
            await asyncio.sleep(0)
        while self._wanted:
            batch, self._wanted = self._wanted, {}
            keys = list(batch)
            try:
                found: dict[K, V] = {}
                for i in range(0, len(keys), MAX_KEYS):
                    found.update(await self.fetch(keys[i : i + MAX_KEYS]))
            except Exception as e:
                _settle(batch, error=e)
                continue
            _settle(batch, found=found, missing=self.missing)


def _settle(batch, found=None, missing=None, error: Exception | None = None) -> None:
    for key, futs in batch.items():
        for f in futs:
            if f.done():  # its caller was cancelled
                continue
            if error is not None:
                f.set_exception(error)
            else:
                f.set_result(found.get(key, missing))
