"""Durable Telegram intake: store every update before acknowledging it; handle it from there.

Webhook: the update is committed to the inbox, then answered 200 (a failed commit is a 503, so
Telegram retries). Polling: the fetched batch is committed before the next getUpdates confirms
its offset. A stored id is never queued twice (redeliveries, a second instance); an update is
marked handled when its handler has finished; on start the unhandled ones are handled first,
in order. Just before an update's first reply goes out its row is marked "sending"; after a SIGKILL
such an update is not answered again (it was, or it was a moment from it): nothing is answered
twice, and what is at risk is only the instant between that mark and the request leaving.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import warnings
from collections.abc import Awaitable
from typing import Protocol

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

# Raw getUpdates on purpose (see Intake._fetch): PTB's advice to use get_updates does not apply.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)

log = logging.getLogger(__name__)


class Inbox(Protocol):
    """What the intake needs of the durable inbox (bot.storage.inbox, given by the Store)."""

    async def add(self, items: list[tuple[int, str]]) -> set[int]: ...
    async def done(self, update_ids: list[int]) -> None: ...
    async def sending(self, update_id: int) -> None: ...
    async def unhandled(self) -> list[tuple[int, str]]: ...
    async def adopt(self, older_than: float) -> list[tuple[int, str]]: ...
    async def purge(self) -> int: ...


# The update the running handler serves (per task): [update_id, its inbox, reply begun?]
_CURRENT: contextvars.ContextVar[list | None] = contextvars.ContextVar("tg_update", default=None)
POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open when there is nothing to fetch
# Several instances: an update stored this long ago and not handled lost its instance (far past
# any handling, a flooding user's queue included); a survivor answers it. Looked for every 2 s.
INBOX_LEASE = 30.0
ADOPT_EVERY = 2.0
BACKOFF_MAX = 30.0


class Intake:
    def __init__(self, inbox: Inbox | None, shared: bool = False):
        self.inbox = inbox  # None: no database, updates are handled as they come
        self.shared = shared  # several instances on one inbox (PostgreSQL and Redis)
        self.app: Application | None = None

    async def accept(self, update: Update, payload: dict) -> bool:
        """Store one update, then queue it; False for an id already stored (a redelivery)."""
        new = await self._store([(update, payload)])
        if new:
            await self.app.update_queue.put(update)
        return bool(new)

    async def _store(self, items: list[tuple[Update, dict]]) -> list[Update]:
        if self.inbox is None:
            return [u for u, _ in items]
        stored = await self.inbox.add(
            [(u.update_id, json.dumps(p, ensure_ascii=False)) for u, p in items]
        )
        dupes = len(items) - len(stored)
        if dupes:
            log.info("telegram: %d update(s) already received, not handled again", dupes)
        return [u for u, _ in items if u.update_id in stored]

    async def handle(self, update: object, handling: Awaitable) -> None:
        """Run the handler; its first send marks the row "sending"; then mark it handled."""
        if self.inbox is None or not isinstance(update, Update):
            await handling
            return
        _CURRENT.set([update.update_id, self.inbox, False])
        await handling
        # Not reached when cancelled (shutdown): that update is handled again after a restart.
        await self.done(update)

    async def done(self, update: object) -> None:
        """The handler finished (answered, ignored or failed with an apology): mark it."""
        if self.inbox is None or not isinstance(update, Update):
            return
        try:
            await self.inbox.done([update.update_id])
        except Exception as e:  # it is handled again after a restart: one repeat, not a loss
            log.warning("telegram: handled mark for %s not stored: %s", update.update_id, e)

    async def replay(self) -> int:
        """Queue the updates stored but not handled before a stop, oldest first. Several
        instances: only those past INBOX_LEASE (a fresh one is another instance's to answer)."""
        if self.inbox is None:
            return 0
        purged = await self.inbox.purge()  # ids handled over a day ago: no redelivery comes now
        if purged:
            log.info("telegram: %d handled update ids older than a day forgotten", purged)
        if self.shared:
            return await self._queue(await self.inbox.adopt(INBOX_LEASE))
        return await self._queue(await self.inbox.unhandled())

    async def adopt_forever(self) -> None:
        """Several instances: answer what a dead instance had acknowledged but not answered."""
        while True:
            await asyncio.sleep(ADOPT_EVERY)
            try:
                n = await self._queue(await self.inbox.adopt(INBOX_LEASE))
            except Exception as e:  # the database may be restarting: look again shortly
                log.warning("telegram: looking for updates of a dead instance failed: %s", e)
                continue
            if n:
                log.warning("telegram: %d update(s) left by a dead instance answered here", n)

    async def _queue(self, rows: list[tuple[int, str]]) -> int:
        for update_id, payload in rows:
            try:
                update = Update.de_json(json.loads(payload), self.app.bot)
            except Exception as e:  # stored by an older version, say: never block the rest
                log.warning("telegram: stored update %s unreadable (%s); skipped", update_id, e)
                await self.inbox.done([update_id])
                continue
            await self.app.update_queue.put(update)
        if rows:
            log.info("telegram: %d stored update(s) not handled before queued now", len(rows))
        return len(rows)

    async def poll(self, allowed_updates: list[str]) -> None:
        """Long polling: store each batch, then queue it; the next call confirms the offset."""
        offset, backoff = 0, 1.0
        while True:
            try:
                raw = await self._fetch(offset, allowed_updates)
            except TimedOut:
                continue
            except RetryAfter as e:
                await asyncio.sleep(_seconds(e.retry_after))
                continue
            except (NetworkError, Conflict, InvalidToken) as e:
                log.warning("telegram: getUpdates failed (%s); again in %.0f s", e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            backoff = 1.0
            items = [item for item in map(self._parse, raw) if item is not None]
            try:
                new = await self._store(items)
            except Exception:  # not stored: do not confirm; Telegram gives the batch again
                log.exception("telegram: storing %d updates failed; fetching again", len(items))
                await asyncio.sleep(1.0)
                continue
            for u in new:
                await self.app.update_queue.put(u)
            ids = [
                d["update_id"] for d in raw if isinstance(d, dict) and _is_id(d.get("update_id"))
            ]
            if ids:
                offset = max(ids) + 1

    async def _fetch(self, offset: int, allowed_updates: list[str]) -> list:
        """getUpdates as raw JSON: one update PTB cannot read must not lose the batch with it."""
        kwargs = {"timeout": POLL_TIMEOUT, "allowed_updates": allowed_updates}
        if offset:
            kwargs["offset"] = offset
        result = await self.app.bot.do_api_request(
            "getUpdates", api_kwargs=kwargs, read_timeout=POLL_TIMEOUT + 10
        )
        return result if isinstance(result, list) else []

    def _parse(self, data: object) -> tuple[Update, dict] | None:
        try:
            if not isinstance(data, dict) or not _is_id(data.get("update_id")):
                raise ValueError("no update_id")
            data = sanitised(data)
            return Update.de_json(data, self.app.bot), data
        except Exception as e:  # a shape this PTB version cannot read: skip it, keep the rest
            uid = data.get("update_id") if isinstance(data, dict) else None
            log.warning("telegram: update %s unreadable (%s); skipped", uid, type(e).__name__)
            return None


MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")
STRING_FIELDS = ("text", "caption")


def sanitised(data: dict) -> dict:
    """Strings where Telegram promises strings (PTB keeps a number given as `text`)."""
    for key in MESSAGE_KEYS:
        msg = data.get(key)
        if isinstance(msg, dict):
            for name in STRING_FIELDS:
                if name in msg and not isinstance(msg[name], str):
                    msg[name] = "" if msg[name] is None else str(msg[name])
    query = data.get("callback_query")
    if isinstance(query, dict) and "data" in query and not isinstance(query["data"], str):
        query["data"] = str(query["data"])
    return data


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def before_send() -> None:
    """Called by every reply path just before a message goes out (telegram.send)."""
    current = _CURRENT.get()
    if current is None or current[2]:
        return
    current[2] = True
    try:
        await current[1].sending(current[0])
    except Exception as e:  # unmarked: a restart might answer it again; never block the reply
        log.warning("telegram: sending mark for %s not stored: %s", current[0], e)


async def drop_payload() -> None:
    """/forget: the update being handled names the person; clear it now, not at its mark."""
    current = _CURRENT.get()
    if current is not None:
        await current[1].done([current[0]])


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
