"""Telegram channel: the PTB Application with its handlers registered in one place; lifecycle.

Which updates are answered, in what order and how often is decided before any handler runs
(gate.UserOrderProcessor); the handlers are handlers.py; rendering is render.py;
sending with retries is send.py; the webhook endpoint is webhook.py.
"""

from __future__ import annotations

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

from bot.channels.telegram.admin import register_admin, start_admin, stop_admin
from bot.channels.telegram.gate import FloodGate, UserOrderProcessor
from bot.channels.telegram.handlers import (
    KEY,
    Channel,
    on_button,
    on_forget,
    on_help,
    on_list,
    on_mysubs,
    on_project,
    on_start,
    on_subscribe,
    on_text,
    on_unreadable,
    on_unsubscribe,
)
from bot.channels.telegram.send import send_plain, with_retry
from bot.channels.telegram.webhook import add_webhook_route
from bot.config import Config
from bot.dialogue import Dialogue
from bot.services import Services
from bot.storage import Database
from bot.web import WebServer

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "开始：按类别浏览民心工程"),
    BotCommand("list", "全部项目（按类别）"),
    BotCommand("project", "查看某一项，如 /project 5"),
    BotCommand("subscribe", "订阅进展，如 /subscribe 万东路"),
    BotCommand("unsubscribe", "取消订阅"),
    BotCommand("mysubs", "我的订阅"),
    BotCommand("help", "使用帮助"),
    BotCommand("forget", "删除我的全部数据"),
]
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
SORRY = "抱歉，出了点问题，请稍后再试。"
SLOW_DOWN = "您发送得太快了，请稍后再试。"
# Updates in flight at once. Telegram answers in ~0.1-0.3 s and caps a bot near 30 messages a
# second, so 32 in flight is ample; more only grows httpcore's per-request pool bookkeeping
# (measured: 64 costs ~25% more CPU per update than 32 against a local server).
CONCURRENT_UPDATES = 32


def build_application(
    config: Config, services: Services, token: str, db: Database | None = None
) -> Application:
    """Build the Application and register every handler, in one visible place."""
    tg = config.telegram
    # The processor's callbacks are called only while running, after `app` below exists.
    processor = UserOrderProcessor(
        CONCURRENT_UPDATES,
        FloodGate(tg.flood.max_messages, tg.flood.per_seconds),
        bot_username=lambda: app.bot.username,
        on_flood=lambda update: _notice(app, update, SLOW_DOWN),
        on_drop=lambda update: _notice(app, update, None),
    )
    builder = ApplicationBuilder().token(token).concurrent_updates(processor)
    if tg.base_url:
        builder.base_url(tg.base_url).base_file_url(_file_url(tg.base_url))
    if tg.mode == "webhook":
        builder.updater(None)  # updates arrive through our own aiohttp endpoint
    app: Application = builder.build()
    app.bot_data[KEY] = Channel(config, services, Dialogue(services), db)

    new = filters.UpdateType.MESSAGE  # edited messages never reach a handler
    # ---- resident commands -----------------------------------------------------------------
    app.add_handler(CommandHandler("start", on_start, filters=new))
    app.add_handler(CommandHandler("help", on_help, filters=new))
    app.add_handler(CommandHandler("list", on_list, filters=new))
    app.add_handler(CommandHandler("project", on_project, filters=new))
    app.add_handler(CommandHandler("subscribe", on_subscribe, filters=new))
    app.add_handler(CommandHandler("unsubscribe", on_unsubscribe, filters=new))
    app.add_handler(CommandHandler("mysubs", on_mysubs, filters=new))
    app.add_handler(CommandHandler("forget", on_forget, filters=new))
    # ---- admin and staff commands (issue 4) register here ----------------------------------
    if db is not None:  # group -1: decided before the resident handlers below
        register_admin(app, services, db, config)
    # ---- buttons, free text, everything else ------------------------------------------------
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, on_help))
    app.add_handler(MessageHandler(new & filters.ChatType.PRIVATE & ~filters.TEXT, on_unreadable))
    app.add_error_handler(on_error)
    return app


def _file_url(base_url: str) -> str:
    """A self-hosted Bot API serves files at <host>/file/bot<token>/... next to <host>/bot."""
    root = base_url.rstrip("/")
    return (root[: -len("/bot")] if root.endswith("/bot") else root) + "/file/bot"


# ---- lifecycle ------------------------------------------------------------------------------
async def prepare(app: Application, config: Config, web: WebServer | None) -> None:
    """Connect (getMe), register the command menu, start processing; add the webhook route."""
    await with_retry(app.initialize)
    await with_retry(lambda: app.bot.set_my_commands(COMMANDS))
    await app.start()
    await start_admin(app)  # resume unfinished broadcasts, watch knowledge/ (issue 4)
    tg = config.telegram
    if tg.mode == "webhook":
        add_webhook_route(web.app, app, tg.webhook.path, tg.webhook.secret_token)
        web.listen(tg.webhook.listen, tg.webhook.port)


async def go_live(app: Application, config: Config) -> None:
    """Start receiving: long polling, or tell Telegram where the webhook is (server is up)."""
    tg = config.telegram
    if tg.mode == "webhook":
        await with_retry(
            lambda: app.bot.set_webhook(
                tg.webhook.url,
                secret_token=tg.webhook.secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
    else:
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
    log.info("telegram: @%s live (%s)", app.bot.username, tg.mode)


async def stop(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    await stop_admin(app)  # let broadcast sends in flight settle (issue 4)
    if app.running:
        await app.stop()
    await app.shutdown()


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
    repo = ch.services.subscriptions if ch else None
    if user is None or not hasattr(repo, "set_active"):
        return
    key = f"tg:{user.id}"
    ch.touched.pop(key, None)  # the next message they send must reach touch_user
    try:
        await repo.set_active(key, False)
    except Exception:
        log.exception("could not mark %s unreachable", key)
