"""The broadcast desk: one engine over every channel's sender, and admins' views of its jobs.

Several instances (`shared`): a job runs on every instance, so its end is the job's state in the
database, not this instance's share of the work; every instance that knows the admin's status
message follows the job, one of them (a lease in Redis) keeps the message current, and the
final report is sent once (a claim in Redis), by whichever instance saw the job end first. When
the instance the admin confirmed on dies, another one carries the status on.
"""

from __future__ import annotations

import asyncio
import logging

from bot.broadcast import status
from bot.broadcast.engine import BroadcastEngine
from bot.config import BroadcastConfig
from bot.storage.broadcast import OPEN_JOB_STATES, BroadcastRepo

log = logging.getLogger(__name__)


class Desk:
    """Follows jobs for the admins who started them (bot.channels.base.Desk)."""

    def __init__(
        self,
        engine: BroadcastEngine,
        repo: BroadcastRepo,
        config: BroadcastConfig,
        target_of,
        shared=None,
        views=None,
    ):
        self.engine = engine
        self.repo = repo
        self.config = config
        self._target_of = target_of  # job -> "第9项 …" as admins read it
        self._tasks: set[asyncio.Task] = set()
        self.shared = shared  # bot.shared.SharedState when several instances send each job
        self._views = views  # (chat, message) -> (edit, report) or None: the admin's status
        self._following: set[int] = set()

    def follow(self, job_id: int, edit, report) -> None:
        """Keep `edit`'s status current (if the channel can edit) and send the final report."""

        async def no_edit(_text: str) -> None:
            return None

        if self.shared is None:
            self._spawn(self._follow(job_id, edit or no_edit, report))
        elif job_id not in self._following:
            self._following.add(job_id)
            self._spawn(self._follow_shared(job_id, edit or no_edit, report))

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

    async def adopt(self) -> list[int]:
        """Several instances: join open jobs, and follow the admin's status of any job whose
        status message this instance can reach (the confirming instance may have died)."""
        joined = await self.engine.adopt()
        for job_id in joined:
            if job_id in self._following or self._views is None:
                continue
            job = await self.repo.job(job_id)
            if job is None or not job.status_chat:  # from the command line: nothing to edit
                continue
            view = self._views(job.status_chat, job.status_message or "")
            if view is not None:
                self.follow(job_id, *view)
        return joined

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

    async def _follow_shared(self, job_id: int, edit, report) -> None:
        r, me = self.shared.redis, self.shared.instance
        lease = self.shared.key("broadcast", str(job_id), "status")
        ttl_ms = int(max(3 * self.config.status_interval, 5) * 1000)
        last, target = None, ""
        try:
            while True:
                job = await self.repo.job(job_id)
                if job is None:
                    return
                target = self._target_of(job)
                if job.state not in OPEN_JOB_STATES:
                    break
                try:  # one instance edits; another takes over when its lease lapses
                    mine = await r.set(lease, me, nx=True, px=ttl_ms) or await r.get(lease) == me
                    if mine:
                        await r.pexpire(lease, ttl_ms)
                except Exception as e:
                    log.warning("broadcast %s: status lease unavailable: %s", job_id, e)
                    mine = False
                if mine:
                    text = status.status_text(job, await self.repo.counts(job_id), target)
                    if text != last:
                        last = text
                        try:
                            await edit(text)
                        except Exception:  # a failed edit must not stop the report
                            log.warning("broadcast %s: status edit failed", job_id, exc_info=True)
                await asyncio.sleep(self.config.status_interval)
            final = status.report_text(job, await self.repo.counts(job_id), target)
            claim = self.shared.key("broadcast", str(job_id), "reported")
            if not await r.set(claim, me, nx=True, ex=7 * 86400):
                return  # another instance reported it
            try:
                await edit(final)
            except Exception:
                log.warning("broadcast %s: final status edit failed", job_id, exc_info=True)
            await report(final)
        finally:
            self._following.discard(job_id)

    def _spawn(self, coro) -> asyncio.Task:
        t = asyncio.create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._ended)
        return t

    def _ended(self, t: asyncio.Task) -> None:
        self._tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:  # logged once, with traceback
            log.error("broadcast follower failed", exc_info=t.exception())
