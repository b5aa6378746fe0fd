"""Send and edit Telegram messages, retrying flood waits and network errors instead of failing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, CallbackQuery, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.channels.telegram.intake import before_send
from bot.channels.telegram.render import Outgoing, render
from bot.models import Reply

# sendMessage through do_api_request on purpose (see _send): PTB's advice does not apply.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)
log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 5
MAX_RETRY_AFTER = 120.0  # seconds; a longer flood wait is given up rather than held
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# The same form fields PTB makes of ParseMode.HTML and NO_PREVIEW (and of an int chat id),
# given as the strings it would send: a string skips its conversion chain and to_dict()
# (~20 µs of a reply; tests/test_telegram_render.py compares the fields).
HTML = ParseMode.HTML.value
NO_PREVIEW_JSON = json.dumps(NO_PREVIEW.to_dict())


def retry_after_seconds(err: RetryAfter) -> float:
    """`RetryAfter.retry_after` is an int or, since PTB 22.2 (opt-in), a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = err.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def with_retry(call: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Await `call()`, waiting out 429s and retrying network errors; other errors pass through."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as e:
            wait = retry_after_seconds(e)
            if attempt == attempts or wait > MAX_RETRY_AFTER:
                raise
            log.warning("telegram flood wait %.0fs (attempt %d)", wait, attempt)
            await asyncio.sleep(wait)
        except NetworkError as e:
            if isinstance(e, BadRequest) or attempt == attempts:  # BadRequest: our mistake
                raise
            wait = min(0.25 * 2 ** (attempt - 1), 4.0)
            log.warning("telegram network error %s; retrying in %.2fs", e, wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """Send a Reply as one or more HTML messages (keyboard on the last)."""
    parts = render(reply)  # before the mark: the less between it and the request, the better
    await before_send()
    for part in parts:
        await with_retry(lambda part=part: _send(bot, chat_id, part))


async def _send(bot: Bot, chat_id: int, part: Outgoing) -> None:
    """bot.send_message, without turning Telegram's answer into a PTB Message (with its
    keyboard: ~600 attribute sets per reply) that nobody reads. The same request, the same
    errors (RetryAfter, BadRequest…) raised by the same PTB code."""
    kwargs = {
        "chat_id": str(chat_id),
        "text": part.html,
        "parse_mode": HTML,
        "link_preview_options": NO_PREVIEW_JSON,
    }
    if part.markup_json is not None:
        kwargs["reply_markup"] = part.markup_json
    await bot.do_api_request("sendMessage", api_kwargs=kwargs)


async def send_plain(bot: Bot, chat_id: int, text: str) -> None:
    """A short fixed notice (apology, slow down): no markup, nothing to escape."""
    await before_send()
    await with_retry(lambda: bot.send_message(chat_id, text))


async def edit_or_send(query: CallbackQuery, chat_id: int, reply: Reply) -> None:
    """Replace the pressed message in place (menu navigation); send anew if it cannot be edited."""
    parts = render(reply)
    await before_send()
    if len(parts) == 1 and query.message is not None and query.message.is_accessible:
        part = parts[0]
        try:
            await with_retry(
                lambda: query.edit_message_text(
                    part.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=part.markup,
                    link_preview_options=NO_PREVIEW,
                )
            )
            return
        except BadRequest as e:
            if "not modified" in str(e).lower():  # the same button pressed twice
                return
            log.info("cannot edit message (%s); sending a new one", e)
    await send_reply(query.get_bot(), chat_id, reply)
