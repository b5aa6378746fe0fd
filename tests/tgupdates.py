"""Realistic Telegram update dicts for tests: what a resident's client would send.

Feed them to `FakeBotAPI.push` (polling) or POST them to a webhook. Message and callback ids are
unique per process; update ids are assigned by `FakeBotAPI.push` or by `next_update_id()`.
"""

from __future__ import annotations

import itertools
import time

_ids = itertools.count(1)
_update_ids = itertools.count(1_000_000)


def next_update_id() -> int:
    return next(_update_ids)


def _file(n: int) -> dict:
    i = next(_ids)
    return {"file_id": f"FILE{i}", "file_unique_id": f"U{i}", "width": 90 * n, "height": 90 * n}


def tg_user(user_id: int, first_name: str = "居民", username: str | None = None) -> dict:
    u = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}
    if username:
        u["username"] = username
    return u


def tg_chat(chat_id: int, chat_type: str = "private") -> dict:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "居民"}
    return {"id": chat_id, "type": chat_type, "title": "和平里社区群"}


def utf16_len(s: str) -> int:
    """Telegram counts entity offsets in UTF-16 code units."""
    return len(s.encode("utf-16-le")) // 2


def entities_of(text: str) -> list[dict]:
    """bot_command and mention entities, as Telegram's clients attach them."""
    out = []
    for word_start, word in _words(text):
        kind = None
        if word.startswith("/") and len(word) > 1 and word_start == 0:
            kind = "bot_command"
        elif word.startswith("@") and len(word) > 1:
            kind = "mention"
        if kind:
            out.append(
                {"type": kind, "offset": utf16_len(text[:word_start]), "length": utf16_len(word)}
            )
    return out


def _words(text: str):
    i = 0
    for part in text.split(" "):
        yield i, part
        i += len(part) + 1


def _message(user_id: int, text: str | None, chat_id: int | None, chat_type: str, **extra):
    msg = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": tg_chat(chat_id if chat_id is not None else user_id, chat_type),
        "from": tg_user(user_id),
        **extra,
    }
    if text is not None:
        msg["text"] = text
        ents = entities_of(text)
        if ents:
            msg["entities"] = ents
    return msg


def text_update(
    user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private"
) -> dict:
    """A text message; commands and @mentions get their entities like a real client sends."""
    return {"message": _message(user_id, text, chat_id, chat_type)}


def edited_update(user_id: int, text: str, *, chat_id: int | None = None) -> dict:
    """An edited text message (edited_message)."""
    msg = _message(user_id, text, chat_id, "private", edit_date=int(time.time()))
    return {"edited_message": msg}


def media_update(
    user_id: int, kind: str, *, chat_id: int | None = None, chat_type: str = "private"
) -> dict:
    """A message without text: sticker, photo, voice, location or document."""
    body = {
        "sticker": {"sticker": {**_file(1), "type": "regular", "is_animated": False,
                                "is_video": False, "emoji": "👍"}},
        "photo": {"photo": [_file(1), _file(4)]},
        "voice": {"voice": {"file_id": "V1", "file_unique_id": "UV1", "duration": 3}},
        "location": {"location": {"latitude": 39.12, "longitude": 117.25}},
        "document": {"document": {"file_id": "D1", "file_unique_id": "UD1",
                                  "file_name": "申请表.pdf"}},
    }[kind]  # fmt: skip
    return {"message": _message(user_id, None, chat_id, chat_type, **body)}


def callback_update(user_id: int, data: str, message: dict) -> dict:
    """A button press on `message` (the bot's message, e.g. a sendMessage call's result)."""
    return {
        "callback_query": {
            "id": str(next(_ids) * 1000 + 7),
            "from": tg_user(user_id),
            "chat_instance": f"ci{message['chat']['id']}",
            "message": message,
            "data": data,
        }
    }


def channel_post_update(chat_id: int, text: str) -> dict:
    """A post in a channel the bot administers."""
    post = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "channel", "title": "频道"},
        "text": text,
    }
    return {"channel_post": post}
