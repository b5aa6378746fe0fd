"""The sender: works through a job's outbox at a paced rate, one committed state per row.

Crash safety: a row is marked `sending` (committed) before its message goes out and `sent` right
after. If the process dies, only rows in flight (at most `concurrency`) are left `sending`; at
start-up `resume()` marks those `uncertain` (reported, never re-sent) and sends the pending rest.

Several instances (`shared=True`, PostgreSQL): every instance works on every open job; each row
is claimed with FOR UPDATE SKIP LOCKED right before its send, so instances never take the same
row; the pacers (bot.shared.budget) draw from one global budget. A row left `sending` past
`broadcast.lease` (30 s) belonged to an instance that died: it is sent again (the only
duplicates are the sends in flight at the kill), and whichever instance is alive finishes the job.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable
from typing import Protocol

from bot.broadcast.limits import ChatSpacing, Pacer
from bot.broadcast.writer import OutboxWriter
from bot.channels.errors import (
    Blocked,
    Moved,
    RateLimited,
    SendError,
    Transient,
    Unreachable,
)
from bot.config import BroadcastConfig
from bot.storage.broadcast import BroadcastRepo, OutboxRow

log = logging.getLogger(__name__)
MAX_MOVES = 3  # a chat that keeps moving is not followed forever
BATCH = 500
PASSES = 3


class Sender(Protocol):
    async def send(self, chat_id: str, text: str) -> None: ...


class Recipients(Protocol):
    async def set_active(self, user_key: str, active: bool) -> None: ...
    async def move_chat(self, user_key: str, new_chat_id: str) -> None: ...


class BroadcastEngine:
    def __init__(
        self,
        repo: BroadcastRepo,
        recipients: Recipients,
        senders: dict[str, Sender],
        config: BroadcastConfig | None = None,
        *,
        backoff_base: float = 0.5,
        pacer: Callable[[str, float], Pacer] | None = None,
        shared: bool = False,
    ):
        self.repo = repo
        self.recipients = recipients
        self.senders = senders
        self.config = config or BroadcastConfig()
        self.backoff_base = backoff_base
        self.writer = OutboxWriter(repo)  # group commit: one transaction for many rows
        self.stats: Counter = Counter()  # rate_limited, retries, moved — for logs and benchmarks
        self.shared = shared
        make = pacer or (lambda _ch, rate: Pacer(rate))
        self._pacers: dict[str, Pacer] = {}
        for ch, sender in senders.items():
            rate = getattr(sender, "rate_per_second", None) or self.config.rate_per_second
            self._pacers[ch] = make(ch, rate)  # evenly spaced: never a burst for a limit to notice
        self._spacing = ChatSpacing(self.config.per_chat_interval)
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._tasks: dict[int, asyncio.Task] = {}
        self._cancelled: set[int] = set()
        self._stopping = False

    # ---- control ---------------------------------------------------------------------------
    def start(self, job_id: int) -> asyncio.Task:
        """Send a confirmed job's pending rows in the background (once per job)."""
        task = self._tasks.get(job_id)
        if task is None or task.done():
            task = asyncio.create_task(self._run(job_id), name=f"broadcast-{job_id}")
            self._tasks[job_id] = task
        return task

    async def resume(self) -> list[int]:
        """At start-up: rows left in flight become uncertain; every open job carries on."""
        resumed = []
        if self.shared:
            return await self.adopt()
        for job in await self.repo.open_jobs():
            if job.id in self._tasks:
                continue
            uncertain = await self.repo.recover(job.id)
            log.info("resuming broadcast %s (%d rows uncertain after restart)", job.id, uncertain)
            self.start(job.id)
            resumed.append(job.id)
        return resumed

    async def adopt(self) -> list[int]:
        """Several instances: join every open job not running here (confirmed on another
        instance, or left by one that died)."""
        joined = []
        for job in await self.repo.open_jobs():
            task = self._tasks.get(job.id)
            if self._stopping or (task is not None and not task.done()):
                continue
            orphaned = await self.repo.requeue_stale(job.id, self.config.lease)
            if orphaned:
                log.info("broadcast %s: %d rows of a dead instance sent again", job.id, orphaned)
            self.start(job.id)
            joined.append(job.id)
        return joined

    def task(self, job_id: int) -> asyncio.Task | None:
        return self._tasks.get(job_id)

    def running(self) -> list[int]:
        return [j for j, t in self._tasks.items() if not t.done()]

    async def cancel(self, job_id: int) -> bool:
        """Stop a job: nothing more is sent; rows already sent stay sent."""
        # The job's state first: whoever sees the sender stop must find it cancelled.
        ok = await self.repo.cancel(job_id)
        self._cancelled.add(job_id)
        return ok

    async def wait(self, job_id: int) -> None:
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def stop(self, timeout: float = 10.0) -> None:
        """Shut down: no new sends; let messages in flight finish so their rows are settled."""
        self._stopping = True
        tasks = [t for t in self._tasks.values() if not t.done()]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=timeout)
        for t in late:
            t.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    # ---- work ------------------------------------------------------------------------------
    async def _run(self, job_id: int) -> None:
        job = await self.repo.job(job_id)
        if job is None or job.state not in ("queued", "running"):
            return
        await self.repo.start(job_id)
        for _ in range(PASSES):  # a row whose claim could not be committed is tried again
            await self._pass(job_id, job.text)
            if self._halted(job_id) or not await self.repo.pending(job_id, limit=1):
                break
        if self._halted(job_id):
            return
        if await self.repo.pending(job_id, limit=1):
            log.error("broadcast %s: rows still pending; it resumes at the next start", job_id)
            return
        if self.shared and await self.repo.in_flight(job_id):
            return  # other instances' sends in flight: the last of them finishes the job
        # Every delivery has ended: a row still `sending` lost its outcome to a database error.
        lost = await self.repo.recover(job_id)
        if lost:
            log.warning("broadcast %s: %d rows uncertain (outcome not recorded)", job_id, lost)
        if await self.repo.finish(job_id):
            log.info("broadcast %s finished: %s", job_id, await self.repo.counts(job_id))

    async def _pass(self, job_id: int, text: str) -> None:
        """Deliver every pending row once, at most `concurrency` at a time."""
        inflight: set[asyncio.Task] = set()

        def done(t: asyncio.Task) -> None:
            inflight.discard(t)
            self._slots.release()
            if not t.cancelled() and t.exception() is not None:
                log.error("broadcast %s: delivery crashed", job_id, exc_info=t.exception())

        if self.shared:
            await self._claiming_pass(job_id, text, inflight, done)
        after = 0
        while not self.shared and not self._halted(job_id):
            rows = await self.repo.pending(job_id, after_id=after, limit=BATCH)
            if not rows:
                break
            for row in rows:
                await self._slots.acquire()
                if self._halted(job_id):
                    self._slots.release()
                    break
                after = row.id
                t = asyncio.create_task(self._deliver(job_id, text, row))
                inflight.add(t)
                t.add_done_callback(done)
        if inflight:
            await asyncio.gather(*list(inflight), return_exceptions=True)

    async def _claiming_pass(self, job_id: int, text: str, inflight: set, done) -> None:
        """Several instances: claim rows nobody holds in batches of at least half the free
        slots (they then wait for the global budget), one statement per batch: a claim per
        row was a PostgreSQL transaction per message, the sender's bottleneck under load."""
        batch = max(1, self.config.concurrency // 2)
        while not self._halted(job_id):
            for _ in range(batch):  # the other half is still sending: the pipe stays full
                await self._slots.acquire()
            taken = batch
            while taken < self.config.concurrency and not self._slots.locked():
                await self._slots.acquire()  # free now: returns at once
                taken += 1
            rows = []
            try:
                if not self._halted(job_id):
                    rows = await self.repo.claim_next(job_id, taken)
            except Exception:
                log.exception("broadcast %s: claiming rows failed", job_id)
            for _ in range(taken - len(rows)):
                self._slots.release()
            if not rows:
                return
            self.stats["claimed"] += len(rows)  # this instance's share of the job
            for row in rows:
                t = asyncio.create_task(self._deliver(job_id, text, row, claimed=True))
                inflight.add(t)
                t.add_done_callback(done)

    def _halted(self, job_id: int) -> bool:
        return self._stopping or job_id in self._cancelled

    async def _deliver(self, job_id: int, text: str, row: OutboxRow, claimed: bool = False) -> None:
        """Send one row; its outcome is committed before the concurrency slot is freed."""
        sender = self.senders.get(row.channel)
        if sender is None:
            await self.writer.mark(row.id, "skipped", f"no sender for {row.channel}")
            return
        pacer = self._pacers[row.channel]
        chat, failures, moves = row.chat_id, 0, 0
        while True:
            key = f"{row.channel}:{chat}"
            await self._spacing.wait(key)
            await pacer.acquire()
            if claimed:  # claimed by claim_next (several instances): not sent yet
                claimed = False
                if self._halted(job_id):  # shutting down: give the row back to the others
                    await self.writer.mark(row.id, "pending")
                    return
            elif self._halted(job_id) or not await self.writer.claim(row.id):
                return  # stopped while waiting, or the row was cancelled meanwhile
            if pacer.paused():  # a 429 arrived while this row was being claimed: not now
                await self.writer.mark(row.id, "pending")
                continue
            state, error, retry_in = "sent", None, 0.0
            self._spacing.sent(key)
            try:
                await sender.send(chat, text)
            except RateLimited as e:  # not delivered; Telegram's limit is global: pause all
                self.stats["rate_limited"] += 1
                pacer.pause(e.seconds)
                log.warning("broadcast %s: rate limited, pausing %.1fs", job_id, e.seconds)
                state = "pending"
            except Moved as e:
                moves += 1
                self.stats["moved"] += 1
                await self.recipients.move_chat(row.user_key, e.new_chat_id)
                chat = e.new_chat_id
                state, error = ("failed", "chat keeps moving") if moves > MAX_MOVES else (
                    "pending", None)  # fmt: skip
            except Blocked as e:
                state, error = "blocked", str(e)
                await self.recipients.set_active(row.user_key, False)
            except Transient as e:
                failures += 1
                state, error = "pending", str(e)
                if failures > self.config.max_retries:
                    state = "failed"
                else:
                    retry_in = self._backoff(failures)
            except Unreachable as e:
                state, error = "skipped", str(e)
            except SendError as e:  # Rejected and anything else the platform refused for good
                state, error = "failed", str(e)
            except Exception as e:  # a sender bug must not stop the rest of the job
                log.exception("broadcast %s: sender failed on row %s", job_id, row.id)
                state, error = "failed", type(e).__name__
            moved = chat if chat != row.chat_id else None
            await self.writer.mark(row.id, state, error, chat_id=moved)
            if state != "pending":
                return
            if retry_in:
                self.stats["retries"] += 1
                await asyncio.sleep(retry_in)

    def _backoff(self, failures: int) -> float:
        base = self.backoff_base * 2 ** (failures - 1)
        return min(60.0, base) * (0.8 + 0.4 * random.random())  # jitter spreads retries
