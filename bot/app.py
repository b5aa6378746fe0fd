"""The composition root: storage -> services -> the channels the config names -> one broadcast
engine over every channel's sender -> the knowledge watcher, whose notices reach staff on every
channel. `python -m bot run` serves this until stopped; `broadcast` uses it without receiving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import text as sql_text

from bot import channels as registry
from bot.broadcast.desk import Desk
from bot.broadcast.engine import BroadcastEngine
from bot.channels.base import Channel, Core, Sender
from bot.commands import Commands
from bot.config import Config
from bot.conversation import Conversation
from bot.dialogue import Dialogue
from bot.instancelock import sqlite_lock
from bot.kbholder import KBHolder
from bot.reload import Reloader, ReloadResult
from bot.roles import Roles
from bot.services import Services
from bot.shared import SharedState
from bot.shared.budget import RedisPacer
from bot.shared.contexts import RedisContextStore
from bot.storage import Database
from bot.storage.audit import AuditRepo
from bot.storage.broadcast import BroadcastRepo
from bot.storage.feedback import FeedbackRepo
from bot.storage.forget import forget_person
from bot.storage.progress import ProgressRepo
from bot.storage.qlog import QuestionLogRepo
from bot.storage.store import ChannelStore
from bot.storage.subscriptions import SubscriptionRepo
from bot.sweep import sweep_forever
from bot.web import WebServer
from handlers import admin
from handlers.admin_broadcast import target_of

log = logging.getLogger(__name__)
ADOPT_EVERY = 2.0  # seconds between looks for open broadcasts other instances started


def build_services(config: Config, holder: KBHolder, db: Database) -> Services:
    """Everything the dialogue may use, on the started database."""
    services = Services(holder, subscriptions=SubscriptionRepo(db))
    services.progress = ProgressRepo(db)  # admins' /progress entries in residents' answers
    # What residents asked, under an HMAC of their key: the staff inbox and stats read it.
    services.question_log = QuestionLogRepo.from_config(db, config, batch_seconds=0.5)
    # Anonymous 有用/没用 and suggestions; hand-off settings; 删除我的记录 typed on any channel.
    services.feedback = FeedbackRepo(db, config.privacy.retention_days)
    services.handoff = config.handoff
    services.privacy_notices = config.privacy.notices
    services.feedback_buttons = config.feedback.buttons
    services.forget = forget_everywhere(services, db)  # build_core adds channels' memory
    return services


def forget_everywhere(services: Services, db: Database):
    """删除我的记录 typed on any channel does what /forget does (rows and dialogue context)."""

    async def forget(user_key: str) -> int:
        removed = await forget_person(db, services.question_log, user_key)
        services.contexts.forget(user_key)
        return removed

    return forget


def build_core(config: Config, services: Services, db: Database) -> Core:
    """The Conversation (dialogue + commands with roles) and what channels may use."""
    if services.subscriptions is None:
        services.subscriptions = SubscriptionRepo(db)
    if services.progress is None:
        services.progress = ProgressRepo(db)
    tools = admin.AdminTools(
        services=services,
        subscriptions=services.subscriptions,
        progress=services.progress,  # the residents' repo: a new entry clears their cache
        broadcasts=BroadcastRepo(db),
        audit=AuditRepo(db, config.hmac_secret),
        reloader=Reloader(services.kb),
    )

    async def forget_rows(user_key: str) -> int:
        # Rows in every table, the question log, and the person's audit rows anonymised.
        return await forget_person(db, services.question_log, user_key)

    dialogue = Dialogue(services)
    commands = Commands(dialogue, tools, forget_rows)
    services.forget = commands.forget  # and the channels' memory of the person (pages, options)
    store = ChannelStore(db, services.subscriptions)
    return Core(config, services, Conversation(dialogue, commands), Roles(config), store)


class App:
    """One running bot: start() builds and starts everything, stop() undoes it in reverse."""

    def __init__(
        self,
        config: Config,
        holder: KBHolder,
        channels: list[str] | None = None,
        question_log: bool = True,
    ):
        self.config = config
        self.holder = holder
        self.names = channels  # None: every channel the config names
        self.question_log = question_log  # off: the console without --log
        self.web = WebServer()
        self.channels: list[Channel] = []
        self.senders: dict[str, Sender] = {}
        self.desk: Desk | None = None
        self.watch_ready = asyncio.Event()  # set once knowledge/ is being watched
        self._stop = asyncio.Event()
        self._watcher: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None
        self.shared: SharedState | None = None
        self._adopter: asyncio.Task | None = None

    async def start(self, receive: bool = True) -> None:
        """Storage, services, channels, senders, the engine; then (receive) serve and watch."""
        # The command-line `broadcast` (receive=False) queues beside the running bot: no lock.
        self._lock = sqlite_lock(self.config.database.url) if receive else None
        if self._lock is not None:
            self._lock.acquire()  # a second process on this SQLite file stops here, one line
        self.db = Database(self.config.database.url)
        await self.db.start()
        self.services = build_services(self.config, self.holder, self.db)
        if not self.question_log:
            self.services.question_log = None
        else:
            await self.services.question_log.start()  # a secret exists; expired ones purged
        if self.config.redis.url:  # several instances: what they must share goes to Redis
            self.shared = SharedState(self.config.redis.url, self.config.redis.prefix)
            self.services.contexts = RedisContextStore(self.shared)
            if self.services.question_log is not None:  # privacy notices shown once, anywhere
                self.services.question_log.shared = self.shared
        await self.services.feedback.purge()  # feedback and suggestions past the retention
        self.core = build_core(self.config, self.services, self.db)
        self.core.shared = self.shared
        self.tools = self.core.conversation.commands.tools
        for name in self.names or registry.configured(self.config):
            channel = registry.load(name)(self.core, getattr(self.config, name, None))
            self.channels.append(channel)
            self.tools.channel_labels[channel.name] = channel.label
        await self._start_broadcasts(resume=receive)
        if not receive:  # `broadcast` on the command line: senders only, nobody listens
            return
        for channel in self.channels:
            await channel.start(self.web)
        self._readiness()
        if self.web.needed:
            await self.web.start()
        for channel in self.channels:
            await channel.go_live()
        if self.config.knowledge.watch:
            self._watcher = asyncio.create_task(self._watch())
        # Every per-user cache expires by time too: an idle bot gives its memory back.
        self._sweeper = asyncio.create_task(sweep_forever(self.services.caches))

    def _readiness(self) -> None:
        """What GET /readyz checks: the database answers, Redis answers, a KB is loaded."""

        async def database() -> bool:
            async with self.db.engine.connect() as conn:
                await conn.execute(sql_text("SELECT 1"))
            return True

        async def knowledge() -> bool:
            return bool(self.holder.kb.projects)

        self.web.checks["database"] = database
        if self.shared is not None:
            self.web.checks["redis"] = self.shared.ping
        self.web.checks["knowledge"] = knowledge

    async def _start_broadcasts(self, resume: bool) -> None:
        """One engine over every channel's sender; resume jobs a restart interrupted (not from
        the command line: the running bot may be sending them)."""
        for channel in self.channels:
            sender = channel.sender()
            if sender is not None:
                await sender.open()
                self.senders[channel.name] = sender
        t = self.tools
        several = self.shared is not None and not self.db.is_sqlite
        engine = BroadcastEngine(
            t.broadcasts,
            t.subscriptions,
            self.senders,
            self.config.broadcast,
            # Several instances: one global budget in Redis, rows claimed with SKIP LOCKED.
            pacer=(lambda ch, rate: RedisPacer(self.shared, ch, rate)) if several else None,
            shared=several,
        )
        t.engine = engine
        self.desk = Desk(
            engine,
            t.broadcasts,
            self.config.broadcast,
            lambda j: target_of(t, j),
            shared=self.shared if several else None,
            views=self._status_view,
        )
        self.core.desk = self.desk
        if resume:
            await self.desk.resume(t.audit, self._status_view)
        if several and resume:  # join jobs confirmed on other instances, and those a dead one left
            self._adopter = asyncio.create_task(self._adopt_forever())

    async def _adopt_forever(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(ADOPT_EVERY)
            try:
                await self.desk.adopt()
            except Exception as e:  # the database may be restarting: try again shortly
                log.warning("joining open broadcasts failed: %s", e)

    def _status_view(self, chat: str, message: str):
        for channel in self.channels:
            view = channel.status_view(chat, message or "")
            if view is not None:
                return view
        return None

    async def _watch(self) -> None:
        await self.tools.reloader.watch(self._reloaded, self._stop, ready=self.watch_ready)

    async def _reloaded(self, result: ReloadResult) -> None:
        """After a watcher reload: audit it and tell staff and admins on every channel."""
        for line in result.errors:
            log.warning("knowledge reload rejected: %s", line)
        await self.tools.audit.record("watcher", "reload", result.summary(), len(result.errors))
        text = admin.reload_text(result)
        for name, sender in self.senders.items():
            for uid in self.core.roles.staff_of(name):
                try:
                    await sender.send(uid, text)
                except Exception as e:  # a staff member who never wrote to the bot: log only
                    log.info("cannot tell %s staff %s about the reload: %s", name, uid, e)

    async def stop(self) -> None:
        """SIGTERM lands here: not ready at once; the web server stops taking requests and
        lets those in flight finish (their answers are sent); then channels, broadcasts, storage."""
        self._stop.set()
        self.web.draining = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._adopter is not None:
            self._adopter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._adopter
        await self.web.stop()  # in-flight WeChat answers and webhook posts complete first
        for channel in reversed(self.channels):
            await channel.stop()
        if self.desk is not None:
            await self.desk.stop()  # let broadcast sends in flight settle
        for sender in self.senders.values():
            await sender.close()
        if getattr(self, "services", None) and self.services.question_log is not None:
            await self.services.question_log.close()  # the last half second of questions
        if self.shared is not None:
            await self.shared.close()
        if hasattr(self, "db"):
            await self.db.close()
        if getattr(self, "_lock", None) is not None:
            self._lock.release()

    def channel(self, name: str) -> Channel:
        return next(c for c in self.channels if c.name == name)

    def running(self) -> dict:
        """What is running, for tests: services, db, web, core, channels by name."""
        by_name = {c.name: c for c in self.channels}
        tg = by_name.get("telegram")
        return {
            "app": self,
            "services": self.services,
            "db": self.db,
            "web": self.web,
            "core": self.core,
            "channels": by_name,
            "telegram": tg.app if tg is not None else None,
        }


async def serve(
    config: Config,
    holder: KBHolder,
    stop: asyncio.Event,
    on_ready: Callable[[dict], None] | None = None,
) -> None:
    """Start everything the config names; run until `stop` is set; stop in reverse."""
    app = App(config, holder)
    try:
        await app.start()
        if on_ready is not None:
            on_ready(app.running())
        log.info("民心通 running on %s; stop with Ctrl+C", ", ".join(c.name for c in app.channels))
        await stop.wait()
    finally:
        await app.stop()
