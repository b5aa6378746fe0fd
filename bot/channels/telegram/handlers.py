"""Telegram handlers: map an update to a Message, ask the Dialogue, send the Reply as HTML."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram import Update
from telegram.constants import ChatType

from bot.channels.telegram.send import edit_or_send, send_reply, with_retry
from bot.config import Config
from bot.dialogue import Dialogue
from bot.models import Button, Message, Reply
from bot.services import Services
from bot.storage import Database
from bot.storage.forget import forget_person
from handlers import browse, smalltalk, subscriptions

log = logging.getLogger(__name__)

FORGOTTEN = "已删除您在民心通的全部数据（订阅、对话记录）。以后仍可随时提问。"
PRIVATE_ONLY = "订阅和个人数据请在与我的私聊中操作：@{username}"
TOUCH_EVERY = 600.0  # seconds between "user is reachable" writes for the same user
MAX_TOUCHED = 100_000
NAVIGATION = re.compile(r"^(cats|cat:\d+)$")  # menu moves edit the pressed message in place
_DEEP_LINK = re.compile(r"^p(\d{1,3})$")
_NUMBER = re.compile(r"^第?\s*(\d{1,3})\s*[项号]?$")
_ALL_WORDS = {"全部", "所有", "全部项目", "所有项目", "all"}
KEY = "minxin"


@dataclass
class Channel:
    """What the handlers share, kept in `application.bot_data[KEY]`."""

    config: Config
    services: Services
    dialogue: Dialogue
    db: Database | None
    touched: OrderedDict[str, float] = field(default_factory=OrderedDict)
    # One reachability write at a time: a burst of new users otherwise queues dozens of
    # SQLite writers on the file lock, and under load some outwait busy_timeout.
    touch_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


# ---- from Telegram to the dialogue ----------------------------------------------------------
def _channel(context) -> Channel:
    return context.bot_data[KEY]


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
        async with ch.touch_lock:
            await repo.touch_user(user_key, "telegram", str(chat_id))
    except Exception as e:  # reachability bookkeeping must not cost the answer; next time
        log.warning("touch_user failed for %s: %s", user_key, str(e).splitlines()[0])
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
    arg = _project_arg(ch, words)
    if arg.kind in ("none", "all"):
        reply = Reply("用法：/project 5 或 /project 租房补贴", [[Button("浏览全部项目", "list")]])
    elif arg.kind == "unknown":
        reply = _not_found(kb, words, arg.project, "a:{}:overview")
    elif kb.project(arg.project) is None:
        reply = Reply(f"没有第{arg.project}项。", [[Button("浏览全部项目", "list")]])
    else:
        reply = await ch.dialogue.act(msg, f"a:{arg.project}:overview")
    await _answer(update, context, reply)


async def on_subscribe(update: Update, context) -> None:
    """`/subscribe`, `/subscribe 5`, `/subscribe 万东路`, `/subscribe 全部`."""
    if not _private(update):
        return await _answer(update, context, _private_only(context))
    ch = _channel(context)
    msg = await incoming(update, context, update.message.text or "")
    words = " ".join(context.args or ())
    arg = _project_arg(ch, words)
    if arg.kind == "unknown":
        reply = _not_found(ch.services.kb.kb, words, arg.project, "sub:{}")
    else:
        reply = await subscriptions.subscribe(
            ch.services, msg.user_key, arg.project, ask_first=arg.kind == "none"
        )
    await _answer(update, context, reply)


async def on_unsubscribe(update: Update, context) -> None:
    """`/unsubscribe` (all), `/unsubscribe 5`, `/unsubscribe 万东路`."""
    if not _private(update):
        return await _answer(update, context, _private_only(context))
    ch = _channel(context)
    msg = await incoming(update, context, update.message.text or "")
    arg = _project_arg(ch, " ".join(context.args or ()))
    if arg.kind == "unknown":  # show what there is to cancel rather than guess
        reply = await subscriptions.my_subscriptions(ch.services, msg.user_key)
    else:
        reply = await subscriptions.unsubscribe(ch.services, msg.user_key, arg.project)
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
    removed = await forget_person(ch.services, ch.db, msg.user_key)
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


@dataclass(frozen=True)
class ProjectArg:
    """A command's project argument: none, all, a number, or words naming a project (found)
    or not (unknown, with the router's uncertain guess in `project` if it had one)."""

    kind: str  # none | all | number | found | unknown
    project: int | None = None


def _project_arg(ch: Channel, words: str) -> ProjectArg:
    words = words.strip()
    if not words:
        return ProjectArg("none")
    if words.lower() in _ALL_WORDS:
        return ProjectArg("all")
    m = _NUMBER.match(words)
    if m:
        return ProjectArg("number", int(m.group(1)))
    a = ch.services.kb.router.analyse(words)
    r = a.route
    if r.project is not None and not a.unknown_words and not r.too_long:
        return ProjectArg("found", r.project)
    return ProjectArg("unknown", r.project)  # a subscription is not subscribed on a guess


def _not_found(kb, words: str, guess: int | None, action: str) -> Reply:
    """Words that name no project for sure: offer the guess, if any, then the categories."""
    rows = browse.category_buttons(kb)
    p = kb.project(guess) if guess is not None else None
    if p is None:
        return Reply(f"没找到“{words}”对应的项目。请按类别选择：", rows)
    first = [Button(f"第{p.number}项 {p.title}", action.format(p.number))]
    return Reply(f"没找到“{words}”对应的项目。您是指这一项吗？或按类别选择：", [first, *rows])
