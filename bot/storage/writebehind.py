"""Write-behind: rows an answer produces (last seen, stored replies) are written after it is sent.

Nothing on a resident's answer path awaits these writes. Rows are queued in memory and written
together (Database.write_rows), at most `delay` seconds after the first of them was queued.
Each statement's rows go out as driver SQL compiled once (bot.storage.driversql).

On SQLite (one connection per process) a batch is one transaction, which keeps the connection
free for the reads answers do need: it is held for one statement batch every `delay` seconds
instead of one transaction per message; an INSERT's rows go as multi-row VALUES, on the event
loop's thread when the connection is idle (Database.run_now: a few milliseconds of CPU, no
hand-off to aiosqlite's thread), else in that thread. On PostgreSQL each statement's rows are
one asyncpg executemany, all or none, one round trip, no BEGIN/COMMIT.

At risk on a crash: at most `delay` seconds of these rows (a last_seen a little older, a retry
answered again instead of from storage). `Database.close()` and `Database.forget_user()` flush.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from typing import Protocol

from sqlalchemy.sql import Executable


class Rows(Protocol):
    """What the writer needs of bot.storage.db.Database (which owns one of these writers)."""

    async def write_rows(self, batch: list[tuple[Executable, list[dict]]]) -> list: ...


log = logging.getLogger(__name__)

DELAY = 0.1  # seconds; at 200 messages/s one batch carries ~20 messages' rows
MAX_ROWS = 500  # rows per statement per transaction; more wait for the next batch
# SQLite: the batch runs on the event loop's thread (Database.run_now), which pauses every answer
# for its duration: ~0.05 ms a row (measured at 400 msg/s: 63-row batches 3.5 ms, p99 12.7 ms).
# Pages this size keep each pause near 2-3 ms (24: no better p99, more commits), a turn of
# the loop between them.
MAX_ROWS_INLINE = 48


class WriteBehind:
    """Queued rows per statement, one per key (a statement batch must not touch a row twice)."""

    def __init__(
        self,
        db: Rows,
        delay: float = DELAY,
        max_rows: int = MAX_ROWS,
    ):
        self.db = db
        self.delay = delay
        self.max_rows = max_rows
        # id(statement) -> (statement, {key: row}); dicts keep insertion order
        self._pending: dict[int, tuple[Executable, dict[Hashable, dict]]] = {}
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Future | None = None  # resolved when the batch should go out

    def put(self, statement: Executable, key: Hashable, row: dict, replace: bool = True) -> None:
        """Queue one row for `statement` (the same statement object every time). A row already
        queued under `key` is replaced (replace=True: last seen) or kept (False: first answer)."""
        _, rows = self._pending.setdefault(id(statement), (statement, {}))
        if key in rows and not replace:
            return
        rows.pop(key, None)  # re-inserted at the end: newest last
        rows[key] = row
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    def take(self, statement: Executable, key: Hashable) -> dict | None:
        """Remove and return the row queued under `key`, to write it in the caller's transaction."""
        entry = self._pending.get(id(statement))
        return entry[1].pop(key, None) if entry else None

    def pending(self) -> int:
        return sum(len(rows) for _, rows in self._pending.values())

    async def flush(self) -> None:
        """Write every queued row now; return once written (or the failure logged)."""
        while self.pending() or (self._task is not None and not self._task.done()):
            if self._task is None or self._task.done():
                self._task = asyncio.ensure_future(self._run())
            if self._wake is not None and not self._wake.done():
                self._wake.set_result(None)  # no need to wait out the delay
            await asyncio.shield(self._task)  # a cancelled caller must not cut a batch in half

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = loop.create_future()
        timer = loop.call_later(self.delay, _wake_up, self._wake)
        try:
            await self._wake
        finally:
            timer.cancel()
        while self.pending():
            await self._write_batch()
            await asyncio.sleep(0)  # the answers waiting meanwhile go first

    async def _write_batch(self) -> None:
        batch = []
        for stmt_id, (statement, rows) in list(self._pending.items()):
            keys = list(rows)[: self.max_rows]
            if keys:  # (take() may have emptied it: executing with no rows inserts defaults)
                batch.append((statement, [rows.pop(k) for k in keys]))
            if not rows:
                del self._pending[stmt_id]
        failed = await self.db.write_rows(batch)
        if not failed:
            return
        log.warning("write-behind: a batch of %d rows failed (%s); row by row",
                    sum(len(f.rows) for f in failed), str(failed[0].error).splitlines()[0])  # fmt: skip
        lost = 0
        for f in failed:  # one bad row must cost only itself
            for row in f.rows:
                for bad in await self.db.write_rows([(f.statement, [row])]):
                    lost += 1  # bookkeeping: a lost row costs no answer
                    log.debug("write-behind row lost: %s", str(bad.error).splitlines()[0])
        if lost:
            log.error("write-behind: %d rows could not be written", lost)


def _wake_up(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)
