"""Telegram handlers: map an update to a Message, ask the Conversation, send the Reply as HTML."""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram import Update
from telegram.constants import ChatType

from bot import actions, regexcache
from bot.channels.base import Core
from bot.channels.telegram.intake import drop_payload
from bot.channels.telegram.send import edit_or_send, send_reply, with_retry
from bot.commands import Commands
from bot.models import Message, Reply
from bot.sweep import compact, sweep_stamps

log = logging.getLogger(__name__)

PRIVATE_ONLY = "订阅和个人数据请在与我的私聊中操作：@{username}"
TOUCH_EVERY = 600.0  # seconds between "user is reachable" writes for the same user
MAX_TOUCHED = 100_000
# Menu moves and a broadcast's confirm / cancel edit the pressed message in place.
IN_PLACE = regexcache.compile(r"^(cats|cat:\d+|adm:go:\d+|adm:no:\d+)$")
PERSONAL = ("sub", "unsub", "mysubs")  # buttons about a user's own data: private chats only
KEY = "minxin"


@dataclass
class Shared:
    """What the handlers share, kept in `application.bot_data[KEY]`."""

    core: Core
    follow: object = None  # (job_id, chat_id, message_id) -> None: keep a status message current
    touched: OrderedDict[str, float] = field(default_factory=OrderedDict)
    # One reachability write at a time: a burst of new users otherwise queues dozens of
    # SQLite writers on the file lock, and under load some outwait busy_timeout.

    def sweep(self, now: float | None = None) -> int:
        """Forget when users were last touched once that no longer saves a write."""
        dropped = sweep_stamps(
            self.touched, (time.monotonic() if now is None else now) - TOUCH_EVERY
        )
        if dropped > len(self.touched):
            self.touched = compact(self.touched)
        return dropped


# ---- from Telegram to the dialogue ----------------------------------------------------------
def _shared(context) -> Shared:
    return context.bot_data[KEY]


async def incoming(update: Update, context, text: str) -> Message:
    """The neutral Message for this update; remember how to reach a private chat's user."""
    ch = _shared(context)
    user, chat = update.effective_user, update.effective_chat
    msg = ch.core.message(
        "telegram",
        str(user.id),
        text,
        prefix="tg",
        chat=str(chat.id) if chat else "",
        user_name=user.full_name or user.username or str(user.id),
        private=chat is None or chat.type == ChatType.PRIVATE,
    )
    if chat is not None and chat.type == ChatType.PRIVATE:
        _touch(ch, msg.user_key, chat.id)
    return msg


def _touch(ch: Shared, user_key: str, chat_id: int) -> None:
    """Reachability for broadcasts: queued for the next write-behind batch, not awaited."""
    now = time.monotonic()
    last = ch.touched.get(user_key)
    if last is not None and now - last < TOUCH_EVERY:
        return
    ch.core.store.seen(user_key, "telegram", str(chat_id))
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
async def on_command(update: Update, context) -> None:
    """Every slash command (an unknown one in a private chat is answered with help):
    bot.commands decides what it means and who may run it."""
    ch = _shared(context)
    msg = await incoming(update, context, update.message.text or "")
    parsed = Commands.parse(msg.text)
    command = Commands.get(parsed[0]) if parsed else None
    if command is not None and command.private and not msg.private:
        return await _answer(update, context, _private_only(context))
    reply = await ch.core.conversation.commands.run(msg)
    if command is not None and command.name == "forget":
        await drop_payload()  # the stored /forget update itself carries their id and name
    await _answer(update, context, reply)


async def on_text(update: Update, context) -> None:
    """Free text (in groups: a message mentioning the bot) -> the Q&A core."""
    ch = _shared(context)
    msg = await incoming(update, context, _text_without_mention(update, context))
    await _answer(update, context, await ch.core.conversation.handle(msg))


async def on_unreadable(update: Update, context) -> None:
    """Stickers, photos, voice, locations, documents: say we read text, show the menu."""
    msg = await incoming(update, context, "")
    await _answer(update, context, _shared(context).core.conversation.unreadable(msg))


async def on_button(update: Update, context) -> None:
    """A button press: answered at once (an admin's after the check, as an alert if refused);
    menu moves and broadcast confirmations edit the pressed message in place."""
    query = update.callback_query
    ch = _shared(context)
    data = query.data or ""
    admin_step = actions.is_admin_payload(data)
    if not admin_step:
        await with_retry(query.answer)
    chat_id = update.effective_chat.id if update.effective_chat else update.effective_user.id
    if data.split(":", 1)[0] in PERSONAL and not _private(update):
        await send_reply(context.bot, chat_id, _private_only(context))
        return
    msg = await incoming(update, context, "")
    reply = await ch.core.conversation.press(msg, data)
    if reply.popup:  # a refusal, a second press: an alert over the message, nothing sent
        await with_retry(lambda: query.answer(reply.text or None, show_alert=bool(reply.text)))
        return
    if admin_step:
        await with_retry(query.answer)
    if IN_PLACE.match(data):
        await edit_or_send(query, chat_id, reply)
    else:
        await send_reply(context.bot, chat_id, reply)
    if reply.job is not None and query.message is not None and ch.follow is not None:
        await ch.follow(reply.job, chat_id, query.message.message_id)
