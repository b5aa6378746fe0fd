"""The broadcast desk: one engine over every channel's sender, and admins' views of its jobs."""

from __future__ import annotations

import asyncio
import logging

from bot.broadcast import status
from bot.broadcast.engine import BroadcastEngine
from bot.config import BroadcastConfig
from bot.storage.broadcast import BroadcastRepo

log = logging.getLogger(__name__)


class Desk:
    """Follows jobs for the admins who started them (bot.channels.base.Desk)."""

    def __init__(
        self, engine: BroadcastEngine, repo: BroadcastRepo, config: BroadcastConfig, target_of
    ):
        self.engine = engine
        self.repo = repo
        self.config = config
        self._target_of = target_of  # job -> "第9项 …" as admins read it
        self._tasks: set[asyncio.Task] = set()

    def follow(self, job_id: int, edit, report) -> None:
        """Keep `edit`'s status current (if the channel can edit) and send the final report."""

        async def no_edit(_text: str) -> None:
            return None

        self._spawn(self._follow(job_id, edit or no_edit, report))

    async def set_status_message(self, job_id: int, chat: str, message: str) -> None:
        await self.repo.set_status_message(job_id, chat, message)

    async def resume(self, audit, views) -> list[int]:
        """Jobs a restart interrupted: send their pending rows; follow their status messages
        through `views(chat, message)` -> (edit, report) or None."""
        resumed = await self.engine.resume()
        for job_id in resumed:
            job = await self.repo.job(job_id)
            await audit.record("system", "broadcast_resumed", f"#{job_id}")
            view = views(job.status_chat, job.status_message) if job and job.status_chat else None
            if view is not None:
                self.follow(job_id, *view)
        return resumed

    async def stop(self) -> None:
        await self.engine.stop()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _follow(self, job_id: int, edit, report) -> None:
        job = await self.repo.job(job_id)
        await status.follow(
            self.repo,
            job_id,
            self.engine.task(job_id),
            self.config.status_interval,
            edit,
            report,
            self._target_of(job) if job else "",
        )

    def _spawn(self, coro) -> asyncio.Task:
        t = asyncio.create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._ended)
        return t

    def _ended(self, t: asyncio.Task) -> None:
        self._tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:  # logged once, with traceback
            log.error("broadcast follower failed", exc_info=t.exception())
