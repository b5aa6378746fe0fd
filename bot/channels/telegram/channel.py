"""Telegram channel: the PTB Application with its handlers registered in one place; lifecycle.

Which updates are answered, in what order and how often is decided before any handler runs
(gate.UserOrderProcessor); the handlers are handlers.py; rendering is render.py;
sending with retries is send.py; pushes are sender.py; the webhook endpoint is webhook.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import BotCommand, Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.channels.base import Channel, Core, Show
from bot.channels.telegram.gate import FloodGate, UserOrderProcessor
from bot.channels.telegram.handlers import (
    KEY,
    Shared,
    on_button,
    on_command,
    on_text,
    on_unreadable,
)
from bot.channels.telegram.intake import Intake
from bot.channels.telegram.render import render
from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.send import send_plain, with_retry
from bot.channels.telegram.sender import TelegramSender, status_view
from bot.channels.telegram.settings import TelegramConfig
from bot.channels.telegram.webhook import add_webhook_route
from bot.commands import TABLE
from bot.models import Reply
from bot.web import WebServer

log = logging.getLogger(__name__)

# The menu residents see: every command bot.commands lists for a menu, in its order.
COMMANDS = [BotCommand(c.name, c.menu) for c in TABLE.values() if c.menu]
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
SORRY = "抱歉，出了点问题，请稍后再试。"
SLOW_DOWN = "您发送得太快了，请稍后再试。"
# Updates in flight at once. Telegram answers in ~0.1-0.3 s and caps a bot near 30 messages a
# second, so 32 in flight is ample; more only grows httpcore's per-request pool bookkeeping
# (measured: 64 costs ~25% more CPU per update than 32 against a local server).
CONCURRENT_UPDATES = 32
INTAKE, POLLER, ADOPTER = "minxin_intake", "minxin_poller", "minxin_adopter"  # bot_data keys


class TelegramChannel(Channel):
    """Telegram through python-telegram-bot: polling or a webhook on the shared web server."""

    name = "telegram"
    label = "Telegram"
    settings_model = TelegramConfig

    def __init__(self, core: Core, settings: TelegramConfig):
        super().__init__(core, settings)
        self.token = core.config.telegram_token
        self.app = build_application(core, self.token)
        self.app.bot_data[KEY].follow = self._follow
        self._sender: TelegramSender | None = None

    async def start(self, web: WebServer) -> None:
        """Connect (getMe), register the command menu, start processing; add the webhook route."""
        await with_retry(self.app.initialize)
        await with_retry(lambda: self.app.bot.set_my_commands(COMMANDS))
        await self.app.start()
        intake: Intake = self.app.bot_data[INTAKE]
        await intake.replay()  # received before a stop, not yet handled: first, in order
        if intake.shared and intake.inbox is not None:  # a dead instance's acknowledged updates
            self.app.bot_data[ADOPTER] = asyncio.create_task(intake.adopt_forever())
        if self.settings.mode == "webhook":
            hook = self.settings.webhook
            add_webhook_route(web.app, intake, hook.path, hook.secret_token)
            web.listen(hook.listen, hook.port)

    async def go_live(self) -> None:
        """Start receiving: long polling, or tell Telegram where the webhook is (server is up)."""
        tg = self.settings
        if tg.mode == "webhook":
            await with_retry(
                lambda: self.app.bot.set_webhook(
                    tg.webhook.url,
                    secret_token=tg.webhook.secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                )
            )
        else:
            await with_retry(self.app.bot.delete_webhook)  # getUpdates is refused while set
            intake: Intake = self.app.bot_data[INTAKE]
            self.app.bot_data[POLLER] = asyncio.create_task(intake.poll(ALLOWED_UPDATES))
        log.info("telegram: @%s live (%s)", self.app.bot.username, tg.mode)

    async def stop(self) -> None:
        app = self.app
        for key in (POLLER, ADOPTER):
            task = app.bot_data.pop(key, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if app.running:
            await app.stop()
        await app.shutdown()

    def sender(self) -> TelegramSender:
        if self._sender is None:
            pool = self.core.config.broadcast.concurrency + 4
            self._sender = TelegramSender.for_token(self.token, self.settings.base_url, pool)
        return self._sender

    def render(self, reply: Reply):
        return render(reply)

    def status_view(self, chat: str, message: str) -> tuple[Show, Show] | None:
        if not (chat.lstrip("-").isdigit() and message.isdigit()):
            return None
        return status_view(self.app.bot, int(chat), int(message))

    async def _follow(self, job_id: int, chat: int, message_id: int) -> None:
        """A broadcast confirmed by a button: its message becomes the live status."""
        desk = self.core.desk
        if desk is None:
            return
        await desk.set_status_message(job_id, str(chat), str(message_id))
        desk.follow(job_id, *status_view(self.app.bot, chat, message_id))


def build_application(core: Core, token: str) -> Application:
    """Build the Application and register every handler, in one visible place."""
    tg = core.config.telegram
    # The processor's callbacks are called only while running, after `app` below exists.
    flood = _flood_gate(core)
    processor = UserOrderProcessor(
        CONCURRENT_UPDATES,
        flood,
        bot_username=lambda: app.bot.username,
        on_flood=lambda update: _notice(app, update, SLOW_DOWN),
        on_drop=lambda update: _notice(app, update, None),
        around=lambda update, processing: intake.handle(update, processing),
    )
    inbox = getattr(core.store, "inbox", None)
    store_db = getattr(core.store, "db", None)
    several = core.shared is not None and store_db is not None and not store_db.is_sqlite
    intake = Intake(inbox() if inbox is not None else None, shared=several)
    builder = ApplicationBuilder().token(token).concurrent_updates(processor)
    if tg.transport == "aiohttp":  # every call, getUpdates included (its own connection)
        builder.request(AiohttpRequest(connection_pool_size=CONCURRENT_UPDATES + 8))
        builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
    if tg.base_url:
        builder.base_url(tg.base_url).base_file_url(_file_url(tg.base_url))
    # Updates arrive through our intake (webhook endpoint or polling loop), stored first.
    builder.updater(None)
    app: Application = builder.build()
    intake.app = app
    app.bot_data[INTAKE] = intake
    shared = Shared(core)
    app.bot_data[KEY] = shared
    core.conversation.commands.forgetters.append(lambda key: shared.touched.pop(key, None))
    # swept for expired users (bot.sweep); Redis expires its own counters
    core.services.caches += [c for c in (flood, shared) if hasattr(c, "sweep")]

    new = filters.UpdateType.MESSAGE  # edited messages never reach a handler
    private = filters.ChatType.PRIVATE
    # Every command of bot.commands (roles are checked there); in a private chat an unknown
    # command is answered with help.
    app.add_handler(CommandHandler(list(TABLE), on_command, filters=new))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(new & filters.COMMAND & private, on_command))
    app.add_handler(MessageHandler(new & private & ~filters.TEXT, on_unreadable))
    app.add_error_handler(on_error)
    return app


def _flood_gate(core: Core):
    """Per-user flood limits: counted in Redis when instances share state, else here."""
    f = core.config.telegram.flood
    if core.shared is None:
        return FloodGate(f.max_messages, f.per_seconds)
    from bot.shared.flood import RedisFloodGate

    return RedisFloodGate(core.shared, "telegram", f.max_messages, f.per_seconds)


def _file_url(base_url: str) -> str:
    """A self-hosted Bot API serves files at <host>/file/bot<token>/... next to <host>/bot."""
    root = base_url.rstrip("/")
    return (root[: -len("/bot")] if root.endswith("/bot") else root) + "/file/bot"


# ---- flood notices and errors ---------------------------------------------------------------
async def _notice(app: Application, update: Update, text: str | None) -> None:
    """Flood control: one 请稍后再试 (text) or nothing; a pressed button is always answered."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SLOW_DOWN)
        elif text and update.effective_chat is not None:
            await send_plain(app.bot, update.effective_chat.id, text)
    except TelegramError as e:
        log.info("flood notice not delivered: %s", e)


async def on_error(update: object, context) -> None:
    """The one error handler: log once with the traceback; the user gets a short apology."""
    err = context.error
    if not isinstance(update, Update):
        if isinstance(err, (NetworkError, RetryAfter)):  # polling hiccups; PTB retries them
            log.warning("telegram: %s", err)
        else:
            log.error("telegram error outside an update", exc_info=err)
        return
    if isinstance(err, Forbidden):  # the user blocked the bot mid-conversation
        log.info("update %s: user blocked the bot", update.update_id)
        await _mark_unreachable(context, update)
        return
    log.error("update %s failed", update.update_id, exc_info=err)
    chat = update.effective_chat
    if chat is not None:
        try:
            await send_plain(context.bot, chat.id, SORRY)
        except TelegramError as e:
            log.warning("apology not delivered: %s", e)


async def _mark_unreachable(context, update: Update) -> None:
    """No broadcasts to someone who blocked us, until they write again (touch reactivates)."""
    user, ch = update.effective_user, context.bot_data.get(KEY)
    repo = ch.core.services.subscriptions if ch else None
    if user is None or not hasattr(repo, "set_active"):
        return
    key = f"tg:{user.id}"
    ch.touched.pop(key, None)  # the next message they send must reach touch_user
    try:
        await repo.set_active(key, False)
    except Exception:
        log.exception("could not mark %s unreachable", key)
