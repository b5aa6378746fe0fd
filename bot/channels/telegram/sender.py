"""Pushes to Telegram: the broadcast sender on its own Bot, and a broadcast's live status message."""

from __future__ import annotations

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.channels.base import Sender, Show
from bot.channels.errors import Blocked, Moved, RateLimited, Rejected, Transient
from bot.channels.telegram.render import render
from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.send import retry_after_seconds, send_reply, with_retry
from bot.models import Reply


class TelegramSender(Sender):
    """Send a broadcast to one chat, translating PTB's errors into the engine's terms."""

    def __init__(self, bot: Bot):
        self.bot = bot

    @classmethod
    def for_token(cls, token: str, base_url: str | None, pool: int) -> TelegramSender:
        # Its own Bot: the engine paces and retries broadcasts itself, apart from replies.
        request = AiohttpRequest(connection_pool_size=pool, read_timeout=10.0, write_timeout=10.0)
        kwargs = {"base_url": base_url} if base_url else {}
        return cls(Bot(token, request=request, **kwargs))

    async def open(self) -> None:
        await with_retry(self.bot.initialize)  # getMe, like the application's own

    async def close(self) -> None:
        await self.bot.shutdown()

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


def status_view(bot: Bot, chat: int, message_id: int) -> tuple[Show, Show]:
    """(edit, report): keep one status message current, then send the final report."""

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

    return edit, report
