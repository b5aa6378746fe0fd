"""Telegram channel: the PTB Application, its handlers in one place, updates -> Dialogue -> HTML.

Which updates are answered, in what order and how often is decided before any handler runs
(telegram_gate.UserOrderProcessor); rendering is telegram_render; sending with retries is
telegram_send; the webhook endpoint is telegram_webhook.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_gate import FloodGate, UserOrderProcessor
from bot.channels.telegram_send import edit_or_send, send_plain, send_reply, with_retry
from bot.channels.telegram_webhook import add_webhook_route
from bot.config import Config
from bot.dialogue import Dialogue
from bot.models import Button, Message, Reply
from bot.services import Services
from bot.storage import Database
from bot.web import WebServer
from handlers import browse, smalltalk, subscriptions

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
FORGOTTEN = "已删除您在民心通的全部数据（订阅、对话记录）。以后仍可随时提问。"
PRIVATE_ONLY = "订阅和个人数据请在与我的私聊中操作：@{username}"
CONCURRENT_UPDATES = 64
TOUCH_EVERY = 600.0  # seconds between "user is reachable" writes for the same user
NAVIGATION = re.compile(r"^(cats|cat:\d+)$")  # menu moves edit the pressed message in place
_DEEP_LINK = re.compile(r"^p(\d{1,3})$")
_NUMBER = re.compile(r"^第?\s*(\d{1,3})\s*[项号]?$")
_ALL_WORDS = {"全部", "所有", "全部项目", "所有项目", "all"}
_KEY = "minxin"


@dataclass
class Channel:
    """What the handlers share, kept in `application.bot_data`."""

    config: Config
    services: Services
    dialogue: Dialogue
    db: Database | None
    touched: OrderedDict[str, float] = field(default_factory=OrderedDict)


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
    app.bot_data[_KEY] = Channel(config, services, Dialogue(services), db)

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
    if app.running:
        await app.stop()
    await app.shutdown()


# ---- from Telegram to the dialogue ----------------------------------------------------------
def _channel(context: ContextTypes.DEFAULT_TYPE) -> Channel:
    return context.bot_data[_KEY]


async def incoming(update: Update, context, text: str) -> Message:
    """The neutral Message for this update; remember how to reach a private chat's user."""
    ch = _channel(context)
    user, chat = update.effective_user, update.effective_chat
    tg = ch.config.telegram
    msg = Message(
        channel="telegram",
        user_key=f"tg:{user.id}",
        text=text,
        chat_key=str(chat.id) if chat else str(user.id),
        is_admin=user.id in tg.admins,
        is_staff=user.id in tg.staff,
    )
    if chat is not None and chat.type == ChatType.PRIVATE:
        await _touch(ch, msg.user_key, chat.id)
    return msg


async def _touch(ch: Channel, user_key: str, chat_id: int) -> None:
    repo = ch.services.subscriptions
    if repo is None or not hasattr(repo, "touch_user"):
        return
    now = time.monotonic()
    last = ch.touched.get(user_key)
    if last is not None and now - last < TOUCH_EVERY:
        return
    try:
        await repo.touch_user(user_key, "telegram", str(chat_id))
    except Exception:  # reachability bookkeeping must not cost the answer
        log.exception("touch_user failed")
        return
    ch.touched[user_key] = now
    ch.touched.move_to_end(user_key)
    while len(ch.touched) > 100_000:
        ch.touched.popitem(last=False)


async def _answer(update: Update, context, reply: Reply) -> None:
    await send_reply(context.bot, update.effective_chat.id, reply)


def _text_without_mention(update: Update, context) -> str:
    text = update.message.text or ""
    if update.effective_chat.type != ChatType.PRIVATE:
        text = re.sub(rf"@{re.escape(context.bot.username)}\b", " ", text, flags=re.I)
    return text.strip()


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def _private_only(context) -> Reply:
    return Reply(PRIVATE_ONLY.format(username=context.bot.username))


# ---- handlers -------------------------------------------------------------------------------
async def on_start(update: Update, context) -> None:
    """Welcome plus the category menu; `/start p5` opens project 5 directly."""
    ch = _channel(context)
    kb = ch.services.kb.kb
    msg = await incoming(update, context, update.message.text or "")
    m = _DEEP_LINK.match(context.args[0]) if context.args else None
    if m and kb.project(int(m.group(1))):
        reply = await ch.dialogue.act(msg, f"a:{int(m.group(1))}:overview")
    else:
        hello, menu = smalltalk.greeting(kb), browse.categories(kb)
        reply = Reply(f"{hello.text}\n{menu.text}", [*menu.buttons, [Button("使用帮助", "help")]])
    await _answer(update, context, reply)


async def on_help(update: Update, context) -> None:
    """How to use the bot (also the answer to an unknown command)."""
    msg = await incoming(update, context, update.message.text or "")
    await _answer(update, context, await _channel(context).dialogue.act(msg, "help"))


async def on_list(update: Update, context) -> None:
    """The category menu; pressing a category edits it into that category's projects."""
    msg = await incoming(update, context, update.message.text or "")
    await _answer(update, context, await _channel(context).dialogue.act(msg, "cats"))


async def on_project(update: Update, context) -> None:
    """`/project 5` or `/project 租房补贴`: that project's overview."""
    ch = _channel(context)
    kb = ch.services.kb.kb
    msg = await incoming(update, context, update.message.text or "")
    words = " ".join(context.args or ())
    target = _project_arg(ch, words)
    if target is None or target == "all":
        reply = Reply("用法：/project 5 或 /project 租房补贴", [[Button("浏览全部项目", "list")]])
    elif target == "unknown":
        reply = browse.which_project(kb, "overview")
    elif kb.project(target) is None:
        reply = Reply(f"没有第{target}项。", [[Button("浏览全部项目", "list")]])
    else:
        reply = await ch.dialogue.act(msg, f"a:{target}:overview")
    await _answer(update, context, reply)


async def on_subscribe(update: Update, context) -> None:
    """`/subscribe`, `/subscribe 5`, `/subscribe 万东路`, `/subscribe 全部`."""
    if not _private(update):
        return await _answer(update, context, _private_only(context))
    ch = _channel(context)
    msg = await incoming(update, context, update.message.text or "")
    target = _project_arg(ch, " ".join(context.args or ()))
    if target == "unknown":
        kb = ch.services.kb.kb
        reply = Reply("没找到这个项目。请按类别选择，或发送项目编号：", browse.category_buttons(kb))
    else:
        project = None if target in (None, "all") else target
        reply = await subscriptions.subscribe(
            ch.services, msg.user_key, project, ask_first=target is None
        )
    await _answer(update, context, reply)


async def on_unsubscribe(update: Update, context) -> None:
    """`/unsubscribe` (all), `/unsubscribe 5`, `/unsubscribe 万东路`."""
    if not _private(update):
        return await _answer(update, context, _private_only(context))
    ch = _channel(context)
    msg = await incoming(update, context, update.message.text or "")
    target = _project_arg(ch, " ".join(context.args or ()))
    if target == "unknown":
        reply = await subscriptions.my_subscriptions(ch.services, msg.user_key)
    else:
        project = None if target in (None, "all") else target
        reply = await subscriptions.unsubscribe(ch.services, msg.user_key, project)
    await _answer(update, context, reply)


async def on_mysubs(update: Update, context) -> None:
    """List the user's subscriptions with a cancel button each."""
    if not _private(update):
        return await _answer(update, context, _private_only(context))
    msg = await incoming(update, context, update.message.text or "")
    await _answer(update, context, await _channel(context).dialogue.act(msg, "mysubs"))


async def on_forget(update: Update, context) -> None:
    """Delete everything stored about the user, then confirm."""
    if not _private(update):
        return await _answer(update, context, _private_only(context))
    ch = _channel(context)
    msg = await incoming(update, context, update.message.text or "")
    removed = await ch.db.forget_user(msg.user_key) if ch.db is not None else 0
    ch.services.contexts.forget(msg.user_key)
    ch.touched.pop(msg.user_key, None)
    log.info("forgot a user: %d rows", removed)
    await _answer(update, context, Reply(FORGOTTEN))


async def on_text(update: Update, context) -> None:
    """Free text (in groups: a message mentioning the bot) -> the Q&A core."""
    ch = _channel(context)
    msg = await incoming(update, context, _text_without_mention(update, context))
    await _answer(update, context, await ch.dialogue.respond(msg))


async def on_unreadable(update: Update, context) -> None:
    """Stickers, photos, voice, locations, documents: say we read text, show the menu."""
    await incoming(update, context, "")
    await _answer(update, context, smalltalk.unreadable(_channel(context).services.kb.kb))


async def on_button(update: Update, context) -> None:
    """A button press: answer the query at once, then act; menu moves edit in place."""
    query = update.callback_query
    await with_retry(query.answer)
    ch = _channel(context)
    data = query.data or ""
    chat_id = update.effective_chat.id if update.effective_chat else update.effective_user.id
    if data.split(":", 1)[0] in ("sub", "unsub", "mysubs") and not _private(update):
        await send_reply(context.bot, chat_id, _private_only(context))
        return
    msg = await incoming(update, context, "")
    reply = await ch.dialogue.act(msg, data)
    if NAVIGATION.match(data):
        await edit_or_send(query, chat_id, reply)
    else:
        await send_reply(context.bot, chat_id, reply)


def _project_arg(ch: Channel, words: str) -> int | str | None:
    """A command's project argument: None (absent), "all", a number, or "unknown"."""
    words = words.strip()
    if not words:
        return None
    if words.lower() in _ALL_WORDS:
        return "all"
    m = _NUMBER.match(words)
    if m:
        return int(m.group(1))
    project = ch.services.kb.router.analyse(words).route.project
    return project if project is not None else "unknown"


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
        return
    log.error("update %s failed", update.update_id, exc_info=err)
    chat = update.effective_chat
    if chat is not None:
        try:
            await send_plain(context.bot, chat.id, SORRY)
        except TelegramError as e:
            log.warning("apology not delivered: %s", e)
