"""Telegram updates PTB accepts but no normal client sends: the shapes a handler must survive."""

from __future__ import annotations

import copy
import itertools
import time

from tgupdates import callback_update, text_update, tg_chat, tg_user

_ids = itertools.count(900_000)


def _bot_message(chat_id: int) -> dict:
    return {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": tg_chat(chat_id),
        "from": {"id": 777, "is_bot": True, "first_name": "民心通", "username": "minxin_bot"},
        "text": "菜单",
    }


def hostile_updates(user: int) -> list[dict]:
    """One of each odd shape, from `user` (some from nobody at all)."""
    no_data = callback_update(user, "x", _bot_message(user))
    del no_data["callback_query"]["data"]  # neither data nor game_short_name
    inline_only = callback_update(user, "adm:go:1", _bot_message(user))
    del inline_only["callback_query"]["message"]
    inline_only["callback_query"]["inline_message_id"] = "AAAA"
    number = text_update(user, "x")
    number["message"]["text"] = 12345  # a number where text belongs
    entity_past_end = text_update(user, "/start")
    entity_past_end["message"]["entities"] = [{"type": "bot_command", "offset": 40, "length": 9}]
    command_only_slash = text_update(user, "/")
    command_only_slash["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 1}]
    no_sender = text_update(user, "万东路修好了吗")
    del no_sender["message"]["from"]
    group_no_sender = text_update(user, "/help", chat_id=-100123, chat_type="supergroup")
    del group_no_sender["message"]["from"]
    group_no_sender["message"]["sender_chat"] = {"id": -100123, "type": "supergroup", "title": "群"}
    channel_chat = text_update(user, "你好")
    channel_chat["message"]["chat"] = {"id": -100999, "type": "channel", "title": "频道"}
    empty = text_update(user, "")
    shapes = [
        no_data,
        inline_only,
        number,
        entity_past_end,
        command_only_slash,
        no_sender,
        group_no_sender,
        channel_chat,
        empty,
        text_update(user, "\x00\u202e万东路\ufeff修好了吗\U0001f600"),
        text_update(user, "长" * 5000),
        text_update(user, "/project " + "9" * 400),
        text_update(user, "/subscribe -1"),
        text_update(user, "/start p99999999999999"),
        text_update(user, "/progress 9 50% 我家"),
        text_update(user, "/audit 99999999999999999999"),
        text_update(user, "/reload@someone_else_bot"),
        {"edited_message": text_update(user, "改过的")["message"]},
        {
            "my_chat_member": {
                "chat": tg_chat(user),
                "from": tg_user(user),
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": tg_user(777)},
                "new_chat_member": {"status": "kicked", "user": tg_user(777), "until_date": 0},
            }
        },  # fmt: skip
        {"inline_query": {"id": "iq1", "from": tg_user(user), "query": "万东路", "offset": ""}},
        {
            "poll": {
                "id": "p1",
                "question": "?",
                "options": [],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
            }
        },  # fmt: skip
    ]
    for data in ("adm:", "adm:go:abc", "adm:notify:999999", "adm:hist:99", "a:999:overview",
                 "cat:99999999999999", "sub:-1", "unsub:abc", "p:", ":", "🙂" * 16):  # fmt: skip
        shapes.append(callback_update(user, data, _bot_message(user)))
    return [copy.deepcopy(s) for s in shapes]
