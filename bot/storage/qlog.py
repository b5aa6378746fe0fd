"""The question log: what residents asked and how it was routed, under a pseudonymous user key.

Raw user ids never reach this table: rows carry HMAC-SHA256(secret, user_key). The secret comes
from config (privacy.hmac_secret or MINXIN_HMAC_SECRET); without one, a random secret is made
once and kept in `question_log_meta`. Rows older than privacy.retention_days are purged on start
and then at most once a day from `record`, so no separate job is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    delete,
    select,
)
from sqlalchemy.exc import IntegrityError

from bot.intents import PROJECT_INTENTS
from bot.models import Message, Route
from bot.privacy import redact
from bot.storage.db import Database
from bot.storage.schema import (
    inbox_decisions,
    privacy_notices,
    question_log,
    question_log_meta,
    utcnow,
)
from bot.storage.shownset import ShownSet

log = logging.getLogger(__name__)

MAX_TEXT = 300  # the router does not read longer messages either
PURGE_EVERY = 24 * 3600.0  # seconds between automatic retention purges
# Rows logged before the dialogue's own outcome was stored (migration 0301): below this the
# dialogue asked back (Dialogue.ASK_CONFIDENCE when those rows were written).
LEGACY_ASK_CONFIDENCE = 0.5
SELFCHECK = "selfcheck"  # a finished self-check: intent and outcome of its one row
OUTCOMES = ("answered", "asked_back", "out_of_scope", SELFCHECK)
MAX_NOTICED = 100_000  # users whose notices are remembered in memory as well
# Questions per transaction at most: a 700-row flush held SQLite's one connection ~60-85 ms with
# the event loop busy, and a resident's subscribe waited behind it. On SQLite a page runs on the
# loop's thread when the connection is idle (Database.run_now, ~0.1 ms a row): smaller pages.
FLUSH_ROWS = 200
FLUSH_ROWS_SQLITE = 64
NOTICE_CLAIM_TTL = 3600  # seconds: far past any write-behind flush; then the row decides
_LOG_INSERT = question_log.insert()  # one statement object: compiled once for its driver SQL


@dataclass(frozen=True)
class LoggedQuestion:
    asked_at: dt.datetime  # aware, UTC
    user_hash: str
    channel: str
    text: str
    project: int | None
    intent: str
    confidence: float
    outcome: str | None = None  # what the dialogue did; None for rows logged before 0301
    found: int | None = None  # a self-check's row: how many projects it found

    @property
    def selfcheck(self) -> bool:
        """A finished self-check, not a question: staff count it apart."""
        return self.outcome == SELFCHECK

    @property
    def unanswered(self) -> bool:
        """Out of scope, or asked back (which project? did you mean?): as the dialogue did it."""
        if self.outcome is not None:
            return self.outcome in ("asked_back", "out_of_scope")
        if self.intent == "out_of_scope":
            return True
        if self.intent in PROJECT_INTENTS and self.project is None:
            return True
        return self.project is not None and self.confidence < LEGACY_ASK_CONFIDENCE


def pseudonym(secret: bytes, user_key: str) -> str:
    """Hex HMAC-SHA256(secret, user_key): the same person gets the same key, nobody learns who."""
    return hmac.new(secret, user_key.encode("utf-8"), hashlib.sha256).hexdigest()


async def stored_secret(db: Database) -> bytes:
    """The database's pseudonym secret, made once (by whichever process comes first)."""
    async with db.engine.connect() as conn:
        stored = await conn.scalar(
            select(question_log_meta.c.value).where(question_log_meta.c.key == "hmac_secret")
        )
    if stored is None:
        log.warning(
            "no privacy.hmac_secret configured: generating one and keeping it in the database"
        )
        try:
            async with db.engine.begin() as conn:
                await conn.execute(
                    question_log_meta.insert().values(
                        key="hmac_secret", value=secrets.token_hex(32)
                    )
                )
        except IntegrityError:
            pass  # another process made it first; use theirs
        async with db.engine.connect() as conn:
            stored = await conn.scalar(
                select(question_log_meta.c.value).where(question_log_meta.c.key == "hmac_secret")
            )
    return stored.encode()


def mask_digits(text: str) -> str:
    """Personal information replaced by placeholders (kept under its old name for callers)."""
    return redact(text)


class QuestionLogRepo:
    """Implements bot.services.QuestionLog on the database."""

    def __init__(
        self,
        db: Database,
        secret: str | None = None,
        retention_days: int = 180,
        clock: Callable[[], float] = time.monotonic,
        batch_seconds: float = 0.0,
    ):
        self.db = db
        # > 0: questions are written in one transaction per interval instead of one each (a
        # busy bot spends less on the log than on the answers); at most that long at risk.
        self.batch_seconds = batch_seconds
        self._pending: list[dict] = []
        self._flusher: asyncio.Task | None = None
        self._writing: asyncio.Future | None = None
        self.retention_days = retention_days
        self._secret = secret.encode() if secret else None
        self._clock = clock
        self._next_purge = clock()  # start() purges; then record() once a day
        self._noticed: dict[tuple[str, str], None] = {}  # (user_hash, kind) known to be shown
        # One instance (SQLite always, by the instance lock; PostgreSQL without shared state):
        # every notice shown, from start(), so a first message reads nothing.
        self._shown: ShownSet | None = None
        self._notice_stmt = None
        self._shared = None

    @property
    def shared(self):
        """Several instances (bot.shared.SharedState): one SET NX decides who shows a notice,
        so a resident whose messages alternate between instances sees it once."""
        return self._shared

    @shared.setter
    def shared(self, value) -> None:
        self._shared = value
        if value is not None and not self.db.is_sqlite:
            self._shown = None  # other instances show notices too: the database knows, ask it

    @classmethod
    def from_config(cls, db: Database, config, batch_seconds: float = 0.0) -> QuestionLogRepo:
        return cls(
            db, config.hmac_secret, config.privacy.retention_days, batch_seconds=batch_seconds
        )

    async def start(self) -> None:
        """Make sure a secret exists, and purge expired rows now."""
        await self._ensure_secret()
        self._next_purge = self._clock() + PURGE_EVERY
        await self.purge()
        if self.db.is_sqlite or self.shared is None:  # nobody else shows notices: read them once
            t = privacy_notices.c
            rows = await self.db.run_sync(
                lambda conn: conn.execute(select(t.user_hash, t.kind)).all()
            )
            self._shown = ShownSet(rows)

    async def secret(self) -> bytes:
        """The pseudonym secret (the audit log keys people with it too)."""
        return await self._ensure_secret()

    async def _ensure_secret(self) -> bytes:
        if self._secret is None:
            self._secret = await stored_secret(self.db)
        return self._secret

    async def key(self, user_key: str) -> str:
        """The pseudonymous key stored for a user: hex HMAC-SHA256(secret, user_key)."""
        return pseudonym(await self._ensure_secret(), user_key)

    async def record(
        self,
        msg: Message,
        route: Route,
        outcome: str | None = None,
        at: dt.datetime | None = None,
        found: int | None = None,
    ) -> None:
        """Store one question, its route and what the dialogue did (answered / asked_back /
        out_of_scope), or a finished self-check (outcome selfcheck, `found` projects, no
        text); one INSERT, a purge at most once a day."""
        await self._purge_if_due()
        values = dict(
            asked_at=at or utcnow(),
            user_hash=await self.key(msg.user_key),
            channel=msg.channel[:16],
            text=mask_digits((msg.text or "").strip()[:MAX_TEXT]),
            project=route.project,
            intent=route.intent[:20],
            confidence=float(route.confidence),
            outcome=outcome if outcome in OUTCOMES else None,
            found=found,
        )
        if self.batch_seconds <= 0:
            async with self.db.engine.begin() as conn:
                await conn.execute(question_log.insert().values(**values))
            return
        self._pending.append(values)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.batch_seconds)
        # Shielded: cancelling the timer at shutdown must not cut a transaction in half (the
        # driver's thread would go on holding SQLite's write lock).
        self._writing = asyncio.ensure_future(self.flush())
        await asyncio.shield(self._writing)

    async def flush(self) -> None:
        """Write the questions waiting for the next batch (also called at shutdown)."""
        rows, self._pending = self._pending, []
        size = FLUSH_ROWS_SQLITE if self.db.is_sqlite else FLUSH_ROWS
        for i in range(0, len(rows), size):  # the connection is busy one page at a time
            if i:
                await asyncio.sleep(0)  # a turn of the loop between pages: answers go first
            page = rows[i : i + size]
            # Driver SQL compiled once (bot.storage.driversql): on SQLite one multi-row INSERT,
            # on PostgreSQL one executemany (one round trip).
            for failed in await self.db.write_rows([(_LOG_INSERT, page)]):
                # the log must never take the bot down; the rows are lost
                log.error("question log: could not write %d questions (%s)", len(page),
                          str(failed.error).splitlines()[0])  # fmt: skip

    async def close(self) -> None:
        """Flush what is waiting; stop the timer."""
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._writing is not None:
            await self._writing
        await self.flush()

    async def _purge_if_due(self) -> None:
        now = self._clock()
        if now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY
            removed = await self.purge()
            if removed:
                log.info(
                    "question log: purged %s rows older than %s days", removed, self.retention_days
                )

    async def purge(self, now: dt.datetime | None = None) -> int:
        """Delete rows (and inbox decisions) older than the retention period."""
        cutoff = (now or utcnow()) - dt.timedelta(days=self.retention_days)
        async with self.db.engine.begin() as conn:
            res = await conn.execute(delete(question_log).where(question_log.c.asked_at < cutoff))
            await conn.execute(delete(inbox_decisions).where(inbox_decisions.c.decided_at < cutoff))
        return res.rowcount or 0

    async def forget(self, user_key: str) -> int:
        """Delete every question one user asked (what /forget calls with the raw user key)."""
        user_hash = await self.key(user_key)
        self._pending = [r for r in self._pending if r["user_hash"] != user_hash]
        self._noticed = {k: v for k, v in self._noticed.items() if k[0] != user_hash}
        if self._shown is not None:
            self._shown.discard_user(user_hash)
        await self.db.later.flush()  # a queued "notice shown" row must not outlive this
        async with self.db.engine.begin() as conn:
            res = await conn.execute(
                delete(question_log).where(question_log.c.user_hash == user_hash)
            )
            await conn.execute(
                delete(privacy_notices).where(privacy_notices.c.user_hash == user_hash)
            )
        return res.rowcount or 0

    async def first_time(self, user_key: str, kind: str) -> bool:
        """True once per user and kind of notice (it is recorded as shown); False after.

        With one instance no read at all (every notice shown is known since start(),
        bot.storage.shownset: SQLite, and PostgreSQL without redis.url); with several, one read on
        a user's first message in this process, shared with the other residents' first messages
        of the same moment. The "shown" row goes out with the
        write-behind batch, so the answer awaits no write (a burst of new users used to queue
        one INSERT each on the answer path). Two processes meeting the same new user at the same
        moment may both show the notice: harmless, and rare."""
        key = (await self.key(user_key), kind[:16])
        if key in self._noticed:
            return False
        self._noticed[key] = None  # this process decides once: a concurrent message says False
        if len(self._noticed) > MAX_NOTICED:
            self._noticed.pop(next(iter(self._noticed)))
        if self.shared is not None and not await self._decided_here(key):
            return False
        t = privacy_notices.c
        try:  # known since start-up (SQLite), else read with the others of this moment
            shown = key in self._shown if self._shown is not None else None
            if shown is None:
                q = select(t.kind).where(t.user_hash == key[0], t.kind == key[1])
                shown = await self.db.reads.run(lambda conn: conn.execute(q).first() is not None)
        except Exception:
            self._noticed.pop(key, None)  # undecided: ask again next time
            raise
        if shown:
            return False
        row = {"user_hash": key[0], "kind": key[1], "shown_at": utcnow()}
        self.db.later.put(self._notice_insert, key, row, replace=False)
        if self._shown is not None:
            self._shown.add(key)
        return True

    async def _decided_here(self, key: tuple[str, str]) -> bool:
        """False when another instance already decided this notice (its row may still be in
        that instance's write-behind batch, unseen by the read below)."""
        try:
            return bool(
                await self.shared.redis.set(
                    self.shared.key("notice", *key), "1", nx=True, ex=NOTICE_CLAIM_TTL
                )
            )
        except Exception as e:  # Redis down: the database decides, as with one instance
            log.warning("shared notice claim unavailable: %s", e)
            return True

    @property
    def _notice_insert(self):
        if self._notice_stmt is None:  # one statement object: the write-behind batches by it
            self._notice_stmt = self.db.insert(privacy_notices).on_conflict_do_nothing()
        return self._notice_stmt

    async def questions(
        self, since: dt.datetime, until: dt.datetime | None = None
    ) -> list[LoggedQuestion]:
        """Questions asked in [since, until), oldest first (this process's batch included)."""
        await self.flush()
        cond = question_log.c.asked_at >= since
        if until is not None:
            cond = cond & (question_log.c.asked_at < until)
        q = (
            select(
                question_log.c.asked_at,
                question_log.c.user_hash,
                question_log.c.channel,
                question_log.c.text,
                question_log.c.project,
                question_log.c.intent,
                question_log.c.confidence,
                question_log.c.outcome,
                question_log.c.found,
            )
            .where(cond)
            .order_by(question_log.c.asked_at, question_log.c.id)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [LoggedQuestion(*r) for r in rows]

    async def decide(
        self, wordings: list[str], action: str, by: str, project: int | None = None
    ) -> None:
        """Remember a staff decision (accepted / dismissed) for each normalised wording."""
        if action not in ("accepted", "dismissed"):
            raise ValueError("action is accepted or dismissed")
        now = utcnow()
        async with self.db.engine.begin() as conn:
            for w in dict.fromkeys(wordings):
                await conn.execute(delete(inbox_decisions).where(inbox_decisions.c.wording == w))
                await conn.execute(
                    inbox_decisions.insert().values(
                        wording=w[:300],
                        action=action,
                        project=project,
                        decided_by=by,
                        decided_at=now,
                    )
                )

    async def decisions(self) -> dict[str, str]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(select(inbox_decisions.c.wording, inbox_decisions.c.action))
            return {w: a for w, a in rows}
