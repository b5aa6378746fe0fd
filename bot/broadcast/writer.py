"""Group commit for outbox rows: every claim and outcome queued meanwhile goes in one transaction.

Each caller still waits for *its* row's commit before going on, so the crash-safety rule holds
(`sending` committed before the send, `sent` committed before the slot is freed), but a thousand
rows a second cost a few hundred transactions, not two thousand, and there is a single writer.
"""

from __future__ import annotations

import asyncio
import logging

from bot.storage.broadcast import BroadcastRepo

log = logging.getLogger(__name__)


class OutboxWriter:
    def __init__(self, repo: BroadcastRepo):
        self.repo = repo
        self._claims: list[tuple[int, asyncio.Future]] = []
        self._marks: list[tuple[tuple, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def claim(self, row_id: int) -> bool:
        """pending -> sending, committed; False if the row was not pending (e.g. cancelled)."""
        fut = asyncio.get_running_loop().create_future()
        self._claims.append((row_id, fut))
        self._kick()
        return await fut

    async def mark(
        self, row_id: int, state: str, error: str | None = None, chat_id: str | None = None
    ) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._marks.append(((row_id, state, error, chat_id), fut))
        self._kick()
        await fut

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush(), name="outbox-writer")

    async def _flush(self) -> None:
        # Runs while there is work; requests arriving during a commit form the next group.
        while self._claims or self._marks:
            claims, self._claims = self._claims, []
            marks, self._marks = self._marks, []
            try:
                claimed = await self.repo.apply([r for r, _ in claims], [m for m, _ in marks])
            except Exception as e:  # nothing of this group was committed: tell every caller
                log.warning("outbox commit of %d rows failed: %s", len(claims) + len(marks), e)
                for _, fut in claims + marks:
                    if not fut.done():
                        fut.set_exception(e)
                continue
            for row_id, fut in claims:
                if not fut.done():
                    fut.set_result(row_id in claimed)
            for _, fut in marks:
                if not fut.done():
                    fut.set_result(None)
