"""Admin and staff commands on Telegram: /progress, /history, /broadcast, /broadcasts,
/cancel_broadcast, /audit, /reload; the broadcast sender; the KB watcher; the live status message.

Registered in one call, `register_admin(application, services, db, config)`, in handler group -1
so these commands are decided before any resident handler sees them.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.broadcast import BroadcastEngine, Sender, status
from bot.broadcast.errors import Blocked, Moved, RateLimited, Rejected, Transient
from bot.broadcast.senders import wechat_sender
from bot.channels.telegram.render import render
from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.send import edit_or_send, retry_after_seconds, send_reply, with_retry
from bot.config import Config
from bot.models import Reply
from bot.reload import Reloader, ReloadResult
from bot.services import Services
from bot.storage import Database
from bot.storage.audit import AuditRepo
from bot.storage.broadcast import BroadcastRepo
from bot.storage.progress import ProgressRepo
from bot.storage.subscriptions import SubscriptionRepo
from handlers import admin, admin_broadcast

log = logging.getLogger(__name__)
GROUP = -1  # before resident handlers (group 0)
COMMANDS = ("progress", "history", "broadcast", "broadcasts", "cancel_broadcast", "audit", "reload")
RUNTIME_KEY = "admin_runtime"


class TelegramSender(Sender):
    """Send a broadcast to one chat, translating PTB's errors into the engine's terms."""

    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, chat_id: str, text: str) -> None:
        chat = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
        try:
            await self.bot.send_message(chat, text)  # plain text: nothing to escape
        except RetryAfter as e:
            raise RateLimited(retry_after_seconds(e)) from None
        except ChatMigrated as e:
            raise Moved(str(e.new_chat_id)) from None
        except Forbidden as e:
            raise Blocked(e.message) from None
        except BadRequest as e:
            low = e.message.lower()
            if "chat not found" in low or "user is deactivated" in low:
                raise Blocked(e.message) from None
            raise Rejected(e.message) from None
        except NetworkError as e:  # includes TimedOut and 5xx answers
            raise Transient(e.message) from None


class AdminRuntime:
    """Everything the admin side keeps while the bot runs."""

    def __init__(self, services: Services, db: Database, config: Config):
        self.config = config
        self.db = db
        self.tools = admin.AdminTools(
            services=services,
            subscriptions=SubscriptionRepo(db),
            # the residents' repo when it is one, so a new entry clears their cache at once
            progress=services.progress
            if isinstance(services.progress, ProgressRepo)
            else ProgressRepo(db),
            broadcasts=BroadcastRepo(db),
            audit=AuditRepo(db, config.hmac_secret),
            reloader=Reloader(services.kb),
        )
        self.sender_bot: Bot | None = None
        self._closers: list = []
        self._tasks: set[asyncio.Task] = set()
        self._stop = asyncio.Event()
        self.watch_ready = asyncio.Event()  # set once knowledge/ is being watched

    # ---- roles -----------------------------------------------------------------------------
    def actor(self, update: Update) -> admin.Actor:
        user = update.effective_user
        uid = user.id if user else 0
        name = (user.full_name or user.username or str(uid)) if user else "?"
        return admin.Actor(
            key=f"tg:{uid}",
            name=name,
            is_admin=uid in self.config.telegram.admins,
            is_staff=uid in self.config.telegram.staff,
        )

    # ---- life cycle ------------------------------------------------------------------------
    async def start(self, application: Application) -> None:
        """Start the sender, resume unfinished broadcasts, watch knowledge/ for edits."""
        tg = self.config.telegram
        self._stop = asyncio.Event()
        request = AiohttpRequest(connection_pool_size=self.config.broadcast.concurrency + 4)
        kwargs = {"base_url": tg.base_url} if tg.base_url else {}
        # Its own Bot: the engine paces and retries broadcasts itself, apart from replies.
        self.sender_bot = Bot(application.bot.token, request=request, **kwargs)
        await with_retry(self.sender_bot.initialize)  # getMe, like the application's own
        senders: dict[str, Sender] = {"telegram": TelegramSender(self.sender_bot)}
        wx = wechat_sender(self.config, self.db)
        if wx is not None:
            senders["wechat"], close = wx
            self._closers.append(close)
        self.tools.engine = BroadcastEngine(
            self.tools.broadcasts, self.tools.subscriptions, senders, self.config.broadcast
        )
        for job_id in await self.tools.engine.resume():
            job = await self.tools.broadcasts.job(job_id)
            await self.tools.audit.record("system", "broadcast_resumed", f"#{job_id}")
            if job and job.status_chat and job.status_message:
                self.follow(application.bot, job_id, int(job.status_chat), int(job.status_message))
        if self.config.knowledge.watch:
            watching = self.tools.reloader.watch(
                lambda r: self._watched(application.bot, r), self._stop, ready=self.watch_ready
            )
            self._spawn(watching)

    async def stop(self) -> None:
        self._stop.set()
        if self.tools.engine is not None:
            await self.tools.engine.stop()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for close in self._closers:
            await close()
        if self.sender_bot is not None:
            await self.sender_bot.shutdown()

    def _spawn(self, coro) -> asyncio.Task:
        t = asyncio.create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._ended)
        return t

    def _ended(self, t: asyncio.Task) -> None:
        self._tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:  # logged once, with traceback
            log.error("admin background task failed", exc_info=t.exception())

    def follow(self, bot: Bot, job_id: int, chat: int, message_id: int) -> None:
        """Keep the status message current and send the final report."""

        async def edit(text: str) -> None:
            part = render(Reply(text))[0]
            try:
                await with_retry(
                    lambda: bot.edit_message_text(
                        part.html, chat_id=chat, message_id=message_id, parse_mode=ParseMode.HTML
                    )
                )
            except BadRequest as e:
                if "not modified" not in str(e).lower():
                    raise

        async def report(text: str) -> None:
            await send_reply(bot, chat, Reply(text))

        self._spawn(self._follow(job_id, edit, report))

    async def _follow(self, job_id: int, edit, report) -> None:
        job = await self.tools.broadcasts.job(job_id)
        engine = self.tools.engine
        await status.follow(
            self.tools.broadcasts,
            job_id,
            engine.task(job_id) if engine else None,
            self.config.broadcast.status_interval,
            edit,
            report,
            admin_broadcast.target_of(self.tools, job) if job else "",
        )

    async def _watched(self, bot: Bot, result: ReloadResult) -> None:
        """After a watcher reload: audit it and tell staff and admins how it went."""
        await self.tools.audit.record("watcher", "reload", result.summary(), len(result.errors))
        text = admin.reload_text(result)
        for uid in dict.fromkeys(self.config.telegram.staff + self.config.telegram.admins):
            try:
                await send_reply(bot, uid, Reply(text))
            except Exception as e:  # a staff member who never opened the bot: log only
                log.info("cannot tell staff %s about the reload: %s", uid, e)

    # ---- handlers --------------------------------------------------------------------------
    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run one admin or staff command for someone allowed to; 无权限 for anyone else."""
        msg = update.effective_message
        name = msg.text.split()[0].lstrip("/").split("@")[0].lower()
        args = msg.text.split(maxsplit=1)[1] if len(msg.text.split(maxsplit=1)) > 1 else ""
        actor = self.actor(update)
        t = self.tools
        if not admin.allowed(actor, name):
            reply = await admin.refuse(t, actor, msg.text)
        elif name == "progress":
            reply = await admin.record_progress(t, actor, args)
        elif name == "history":
            reply = await admin.history(t, args)
        elif name == "broadcast":
            reply = await admin_broadcast.draft_broadcast(t, actor, args)
        elif name == "broadcasts":
            reply = await admin_broadcast.list_broadcasts(t)
        elif name == "cancel_broadcast":
            reply = await admin_broadcast.cancel_broadcast(t, actor, args)
        elif name == "audit":
            reply = await admin.audit_log(t, args)
        else:
            reply = await admin.reload_kb(t, actor)
        await send_reply(context.bot, msg.chat_id, reply)
        raise ApplicationHandlerStop

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Confirm / cancel a broadcast, notify subscribers of a progress entry, show history."""
        query = update.callback_query
        _, kind, arg = (query.data.split(":", 2) + ["", ""])[:3]
        actor = self.actor(update)
        chat = query.message.chat.id if query.message else actor.key[3:]
        t = self.tools
        needed = "history" if kind == "hist" else "broadcast"
        if not arg.isdigit():
            await query.answer()
            raise ApplicationHandlerStop
        if not admin.allowed(actor, needed):
            await query.answer(admin.NO_PERMISSION, show_alert=True)
            await admin.refuse(t, actor, f"button {query.data}")
            raise ApplicationHandlerStop
        if kind == "go":
            reply, job_id = await admin_broadcast.confirm(t, actor, int(arg))
            if job_id is None:  # pressed twice, or cancelled: say so, keep the status message
                await query.answer(reply.text, show_alert=True)
                raise ApplicationHandlerStop
            await query.answer()
            await edit_or_send(query, chat, reply)
            if query.message is not None:
                await t.broadcasts.set_status_message(
                    job_id, str(chat), str(query.message.message_id)
                )
                self.follow(context.bot, job_id, chat, query.message.message_id)
            raise ApplicationHandlerStop
        await query.answer()
        if kind == "no":
            await edit_or_send(query, chat, await admin_broadcast.discard(t, actor, int(arg)))
        elif kind == "notify":
            await send_reply(
                context.bot, chat, await admin_broadcast.notify_progress(t, actor, int(arg))
            )
        elif kind == "hist":
            await send_reply(context.bot, chat, await admin.history(t, arg))
        raise ApplicationHandlerStop

    async def forgotten(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Audit that a resident used /forget — without naming them; the resident handler acts."""
        await self.tools.audit.record("居民", "forget", "一位居民删除了自己的数据")


def register_admin(
    application: Application, services: Services, db: Database, config: Config
) -> AdminRuntime:
    """Add the admin and staff handlers; start/stop the sender and watcher with the app."""
    if services.progress is None:
        services.progress = ProgressRepo(db)  # residents' progress answers include admin entries
    rt = AdminRuntime(services, db, config)
    application.bot_data[RUNTIME_KEY] = rt
    new = filters.UpdateType.MESSAGE  # an edited command is not run again
    application.add_handler(CommandHandler(list(COMMANDS), rt.command, filters=new), group=GROUP)
    application.add_handler(CallbackQueryHandler(rt.button, pattern=r"^adm:"), group=GROUP)
    application.add_handler(
        CommandHandler("forget", rt.forgotten, filters=new & filters.ChatType.PRIVATE), group=GROUP
    )
    return rt


async def start_admin(application: Application) -> None:
    """At start-up (after Application.start): resume broadcasts, start the KB watcher."""
    rt = application.bot_data.get(RUNTIME_KEY)
    if rt is not None:
        await rt.start(application)


async def stop_admin(application: Application) -> None:
    """At shutdown: let messages in flight settle, stop the watcher and the sender."""
    rt = application.bot_data.get(RUNTIME_KEY)
    if rt is not None:
        await rt.stop()
