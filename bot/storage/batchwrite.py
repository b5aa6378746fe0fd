"""Writes a resident waits for, gathered: the writes of the same moment share one transaction.

Subscribing (订阅) must be committed before the bot says so, so the answer awaits it. Under load
each subscribe was its own transaction, and on SQLite (one connection per process) each queued
for that connection behind the others and the write-behind batches: with 50 residents writing at
once a subscribe waited ~0.5 s for 3 ms of work (measured: the connection's queue, one pool
checkout and a few event-loop turns per subscribe). So writes queue here: the first starts a
writer, which runs every queued write in one `Database.run_sync` (one commit); each caller returns once that commit is done. Writes
asked while it runs go in the next one. The writer waits for nobody: it starts on the event
loop's next turn, after every handler of this turn has queued its write, and each extra turn
costs a full round of the other requests on a busy loop (~35 ms with 50 residents at once).

On SQLite, a write that finds the process's one connection idle and nothing queued is made at
once on the event loop's thread (`Database.run_now`, a fraction of a millisecond): no hand-off to
the driver's thread and back, which is four turns of a busy loop.

A write that fails must not fail or undo the others: when the shared transaction raises (it is
rolled back whole), each of its writes is run again alone, in its own transaction.

SQLite only (Database.write_in_order): PostgreSQL's pool has connections enough, and there a
shared transaction only added its BEGIN and COMMIT round trips to each subscribe's statements.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from bot.storage.batchread import settle

MAX_WRITES = 200  # writes per transaction at most; more go in the next one


class Transactions(Protocol):
    """What the writer needs of bot.storage.db.Database (which owns one of these)."""

    async def run_sync(self, fn: Callable[[Any], Any]) -> Any: ...

    def run_now(self, fn: Callable[[Any], Any]) -> tuple[bool, Any]: ...


class GatheredWrites:
    """`await run(fn)`: fn(connection) -> its result, committed (with the other writes of the
    moment) before it returns. A write that raises raises in its own caller only."""

    def __init__(self, db: Transactions):
        self.db = db
        self._queued: list[tuple[Callable[[Any], Any], asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def run(self, fn: Callable[[Any], Any]) -> Any:
        if not self._queued:  # SQLite with its connection idle: committed here, no turn at all
            done, result = self.db.run_now(fn)
            if done:
                return result
        fut = asyncio.get_running_loop().create_future()
        self._queued.append((fn, fut))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        return await fut

    async def _write(self) -> None:
        while self._queued:
            # A caller cancelled before its turn never heard "done": its write is not made.
            batch = [(fn, f) for fn, f in self._queued[:MAX_WRITES] if not f.done()]
            del self._queued[:MAX_WRITES]
            if batch:
                try:
                    outcomes = await self._together(batch)
                except asyncio.CancelledError:  # the loop is closing: no caller waits forever
                    for _, f in batch:
                        f.cancel()
                    raise
                settle(batch, outcomes)  # a caller cancelled meanwhile: its write stands

    async def _together(self, batch) -> list[tuple[bool, Any]]:
        try:
            results = await self.db.run_sync(lambda conn: [fn(conn) for fn, _ in batch])
            return [(True, r) for r in results]
        except Exception as e:
            if len(batch) == 1:
                return [(False, e)]
        outcomes = []
        # The shared one was rolled back: each alone, so one bad write fails only itself.
        for fn, _ in batch:
            try:
                outcomes.append((True, await self.db.run_sync(fn)))
            except Exception as e:
                outcomes.append((False, e))
        return outcomes
