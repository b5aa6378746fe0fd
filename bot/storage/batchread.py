"""Reads answers need, gathered: the reads of the same moment share one transaction.

An answer that needs a row (has this resident seen the privacy notice?) awaits it; under load
dozens of residents ask at once, and on SQLite each read was its own hop into the driver's
thread, handing the GIL back and forth (profiled: ~10% of the bot's samples at 200 msg/s from
2,000 users, with the thread's own share on top). So reads queue here: the first starts a
reader, which lets a few event-loop turns pass for others to join, then runs every queued read
in one `Database.run_sync` (one hop, one pool checkout); reads asked while it runs go in the
next one. Idle, this costs no time at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

GATHER_TURNS = 3  # event-loop turns a batch waits for other reads to join it
MAX_READS = 200  # reads per transaction at most; more go in the next one


class Transactions(Protocol):
    async def run_sync(self, fn: Callable[[Any], Any]) -> Any: ...


class GatheredReads:
    """`await run(fn)`: fn(connection) -> its result, run with the other reads of the moment.
    A read that raises raises in its own caller only; a failed transaction in all of its reads."""

    def __init__(self, db: Transactions):
        self.db = db
        self._queued: list[tuple[Callable[[Any], Any], asyncio.Future]] = []
        self._reader: asyncio.Task | None = None

    async def run(self, fn: Callable[[Any], Any]) -> Any:
        fut = asyncio.get_running_loop().create_future()
        self._queued.append((fn, fut))
        if self._reader is None or self._reader.done():
            self._reader = asyncio.ensure_future(self._read())
        return await fut

    async def _read(self) -> None:
        for _ in range(GATHER_TURNS):
            await asyncio.sleep(0)
        while self._queued:
            batch = [(fn, f) for fn, f in self._queued[:MAX_READS] if not f.done()]
            del self._queued[:MAX_READS]
            if not batch:
                continue
            try:
                outcomes = await self.db.run_sync(
                    lambda conn, b=batch: [_one(conn, fn) for fn, _ in b]
                )
            except Exception as e:
                outcomes = [(False, e)] * len(batch)
            settle(batch, outcomes)


def settle(batch: list[tuple[Any, asyncio.Future]], outcomes: list[tuple[bool, Any]]) -> None:
    """Each caller of a gathered batch gets its own result or exception (bot.storage.batchwrite
    too); one whose caller was cancelled meanwhile is left alone."""
    for (_, f), (ok, value) in zip(batch, outcomes, strict=True):
        if f.done():
            continue
        if ok:
            f.set_result(value)
        else:
            f.set_exception(value)


def _one(conn, fn) -> tuple[bool, Any]:
    try:
        return True, fn(conn)
    except Exception as e:
        return False, e
