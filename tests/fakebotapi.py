"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests and benchmarks.

A real python-telegram-bot `Application` (or anything speaking the Bot API) points at it with
`ApplicationBuilder().base_url(api.base_url).base_file_url(api.base_file_url)`. Every call is
`POST /bot<TOKEN>/<method>` (form, multipart or JSON body) and is answered like Telegram does:
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description": ..., "parameters"}`.

In-process use (tests; pytest puts tests/ on sys.path, so `from fakebotapi import FakeBotAPI`)::

    async with FakeBotAPI() as api:                      # listens on 127.0.0.1:<free port>
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        api.push(text_update(42, "/start"))              # from tgupdates; served to getUpdates
        [call] = await api.wait_for("sendMessage", 1)    # wait on events, never sleep
        call.params["text"], call.params["reply_markup"] # params decoded: JSON values parsed

Recording:
    api.calls                    every request, in arrival order, as `Call(method, params, status,
                                 chat_id, at)`; `status` is the HTTP status answered (200/400/403/429..)
    api.of(method, chat_id=None, ok=None)   calls filtered by method / chat / success
    api.texts(chat_id=None)      texts of successful sendMessage calls, in order
    api.sent_per_chat            Counter: successful message sends per chat id (send*, copy,
                                 forward), keyed by chat_id as sent (an int for numeric ids)
    api.attempts_per_chat        Counter: every send attempt per chat id, including refused ones
    api.rate_limited             how many 429s were answered
    await api.wait_for(method, count, timeout=10, chat_id=None, ok=None) -> list[Call]
                                 resolves once `count` matching calls arrived (TimeoutError if not)
    api.clear()                  forget recorded calls and counters (faults stay configured)

Updates:
    api.push(update_dict)        queue an update for getUpdates (assigns update_id if missing);
                                 getUpdates honours offset/limit/timeout like Telegram's long poll
    tests/tgupdates.py           builds realistic update dicts: text_update (commands and
                                 @mentions get entities), callback_update, media_update,
                                 edited_update, channel_post_update

Faults (the Bot API's real answers):
    api.set_rate_limit(per_second, burst=None, per_chat_per_second=None, retry_after=None,
                       methods=SEND_METHODS)   token buckets: overall, and optionally per chat;
                                 an empty bucket answers 429 with parameters.retry_after (seconds,
                                 integer >= 1: computed from the bucket unless `retry_after` given)
    api.block(chat_id)           403 "Forbidden: bot was blocked by the user"
    api.chat_not_found(chat_id)  400 "Bad Request: chat not found"
    api.migrate(chat_id, new_id) 400 with parameters.migrate_to_chat_id (group became supergroup)
    api.restore(chat_id)         undo block / not found / migrate for that chat
    api.fail_next(method, times=1, status=502, retry_after=None, description=None)
                                 the next `times` calls of `method` fail with that status
                                 (429 + retry_after -> RetryAfter; 502 -> NetworkError in PTB)
    Editing a known message with identical text and markup answers 400 "message is not modified".

Out of process (so the server's CPU is not counted against the bot in a benchmark)::

    python tests/fakebotapi.py --port 8081 [--token T]
    POST /_fake/push        JSON list of updates          POST /_fake/configure  JSON, e.g.
    GET  /_fake/stats       counts per method, per chat     {"rate_limit": {"per_second": 30},
    GET  /_fake/calls?method=sendMessage                     "block": [5], "not_found": [6],
    GET  /_fake/wait?method=sendMessage&count=N&timeout=S    "migrate": {"7": -1007}}
    POST /_fake/clear
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456789:TEST-token_for_the_fake_api"
SEND_METHODS = frozenset(
    [
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVoice",
        "sendVideo",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendPoll",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    ]
)
TRUE_METHODS = frozenset(
    [
        "answerCallbackQuery",
        "setMyCommands",
        "deleteMyCommands",
        "setWebhook",
        "deleteWebhook",
        "sendChatAction",
        "deleteMessage",
        "setChatMenuButton",
        "setMyDescription",
        "setMyShortDescription",
        "close",
        "logOut",
    ]
)
# Values PTB sends as raw strings that must stay strings even when they look like JSON ("5").
STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "description",
        "short_description",
        "language_code",
        "title",
        "query",
        "parse_mode",
        "action",
    ]
)

_ids = itertools.count(1)


@dataclass
class Call:
    """One request the fake received and what it answered."""

    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    result: Any = None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def ok(self) -> bool:
        return self.status == 200


class _Bucket:
    """Token bucket: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> float:
        """Take one token; 0.0 if granted, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FakeBotAPI:
    """The fake server; see the module docstring for its API."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "minxin_test_bot",
        first_name: str = "民心通",
    ):
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.username = username
        self.first_name = first_name
        self.port: int | None = None
        self.calls: list[Call] = []
        self._by_method: dict[str, list[Call]] = {}
        self.sent_per_chat: Counter = Counter()
        self.attempts_per_chat: Counter = Counter()
        self.rate_limited = 0
        self.commands: list[dict] = []
        self.webhook_url = ""
        self._pending: list[dict] = []
        self._next_update_id = 1
        self._update_arrived = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._blocked: set[str] = set()
        self._not_found: set[str] = set()
        self._migrated: dict[str, int] = {}
        self._fail: dict[str, list[tuple[int, int | None, str | None]]] = {}
        self._bucket: _Bucket | None = None
        self._chat_rate: float | None = None
        self._chat_buckets: dict[str, _Bucket] = {}
        self._fixed_retry_after: int | None = None
        self._limited_methods: frozenset[str] = SEND_METHODS
        self._message_ids: Counter = Counter()
        self._messages: dict[tuple[str, int], tuple[str, Any]] = {}
        self._chats: dict[str, dict] = {}
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        _add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the port the OS picked
        return self

    async def stop(self) -> None:
        self._closing.set()  # wake long polls so shutdown does not wait for their timeout
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- updates ---------------------------------------------------------------------------
    def push(self, update: dict) -> dict:
        """Queue one update for getUpdates; returns it with its update_id."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._remember_chat(update)
        self._pending.append(update)
        self._update_arrived.set()
        return update

    def _remember_chat(self, update: dict) -> None:
        for key in ("message", "edited_message", "channel_post"):
            chat = (update.get(key) or {}).get("chat")
            if chat:
                self._chats[str(chat["id"])] = chat
        cq = update.get("callback_query") or {}
        chat = (cq.get("message") or {}).get("chat")
        if chat:
            self._chats[str(chat["id"])] = chat

    async def _get_updates(self, p: dict) -> list[dict]:
        offset = p.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = max(1, min(int(p.get("limit") or 100), 100))
        timeout = float(p.get("timeout") or 0)
        if not self._pending and timeout > 0:
            self._update_arrived.clear()
            waiters = [
                asyncio.ensure_future(self._update_arrived.wait()),
                asyncio.ensure_future(self._closing.wait()),
            ]
            _, rest = await asyncio.wait(waiters, timeout=timeout, return_when="FIRST_COMPLETED")
            for w in rest:
                w.cancel()
        return self._pending[:limit]

    # ---- recording -------------------------------------------------------------------------
    def of(self, method: str | None = None, chat_id: Any = None, ok: bool | None = None):
        """Recorded calls, filtered by method, chat and success."""
        pool = self.calls if method is None else self._by_method.get(method, [])
        if chat_id is None and ok is None:
            return list(pool)
        return [
            c
            for c in pool
            if (chat_id is None or str(c.chat_id) == str(chat_id)) and (ok is None or c.ok == ok)
        ]

    def texts(self, chat_id: Any = None) -> list[str]:
        return [c.params.get("text", "") for c in self.of("sendMessage", chat_id, ok=True)]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,
        chat_id: Any = None,
        ok: bool | None = None,
    ) -> list[Call]:
        """Wait until `count` matching calls arrived; return the first `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            pool = self._by_method.get(method, [])
            if len(pool) >= count:  # cheap test first: filters can only shrink the pool
                found = self.of(method, chat_id, ok)
                if len(found) >= count:
                    return found[:count]
            left = deadline - time.monotonic()
            if left <= 0:
                found = self.of(method, chat_id, ok)
                raise TimeoutError(
                    f"{len(found)} of {count} {method} calls arrived within {timeout}s; "
                    f"calls so far: {[c.method for c in self.calls if c.method != 'getUpdates']}"
                )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def clear(self) -> None:
        self.calls.clear()
        self._by_method.clear()
        self.sent_per_chat.clear()
        self.attempts_per_chat.clear()
        self.rate_limited = 0

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._by_method.setdefault(call.method, []).append(call)
        self._changed.set()
        self._changed = asyncio.Event()

    # ---- faults ----------------------------------------------------------------------------
    def set_rate_limit(
        self,
        per_second: float | None,
        burst: float | None = None,
        per_chat_per_second: float | None = None,
        retry_after: int | None = None,
        methods: frozenset[str] | set[str] = SEND_METHODS,
    ) -> None:
        """Answer 429 when a token bucket is empty; None turns the overall limit off."""
        self._bucket = _Bucket(per_second, burst or per_second) if per_second else None
        self._chat_rate = per_chat_per_second
        self._chat_buckets.clear()
        self._fixed_retry_after = retry_after
        self._limited_methods = frozenset(methods)

    def block(self, chat_id: Any) -> None:
        self._blocked.add(str(chat_id))

    def chat_not_found(self, chat_id: Any) -> None:
        self._not_found.add(str(chat_id))

    def migrate(self, chat_id: Any, new_chat_id: int) -> None:
        self._migrated[str(chat_id)] = new_chat_id

    def restore(self, chat_id: Any) -> None:
        key = str(chat_id)
        self._blocked.discard(key)
        self._not_found.discard(key)
        self._migrated.pop(key, None)

    def fail_next(
        self,
        method: str,
        times: int = 1,
        status: int = 502,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        self._fail.setdefault(method, []).extend([(status, retry_after, description)] * times)

    def _fault(self, method: str, p: dict) -> tuple[int, str, dict | None] | None:
        queued = self._fail.get(method)
        if queued:
            status, retry, desc = queued.pop(0)
            params = {"retry_after": retry} if retry is not None else None
            return status, desc or _default_description(status, retry), params
        chat = p.get("chat_id")
        if chat is None:
            return None
        key = str(chat)
        if key in self._blocked:
            return 403, "Forbidden: bot was blocked by the user", None
        if key in self._not_found:
            return 400, "Bad Request: chat not found", None
        if key in self._migrated:
            return (
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[key]},
            )
        if method in self._limited_methods:
            wait = self._bucket.take() if self._bucket else 0.0
            if not wait and self._chat_rate:
                bucket = self._chat_buckets.setdefault(key, _Bucket(self._chat_rate, 1))
                wait = bucket.take()
            if wait:
                self.rate_limited += 1
                after = self._fixed_retry_after or max(1, math.ceil(wait))
                return 429, f"Too Many Requests: retry after {after}", {"retry_after": after}
        return None

    # ---- the Bot API -----------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        p = await _params(request)
        call = Call(method, p)
        if method == "getUpdates":
            self._record(call)  # on arrival: "the bot is polling" is observable at once
            call.result = await self._get_updates(p)
            return _ok(call.result)
        if method in SEND_METHODS and "chat_id" in p:
            self.attempts_per_chat[p["chat_id"]] += 1
        fault = self._fault(method, p)
        if fault:
            call.status, desc, extra = fault
            self._record(call)
            return _error(call.status, desc, extra)
        try:
            result = self._result(method, p)
        except _ApiError as e:
            call.status = e.status
            self._record(call)
            return _error(e.status, e.description)
        if result is None:
            call.status = 404
            self._record(call)
            return _error(404, "Not Found")
        if method in SEND_METHODS:
            self.sent_per_chat[p.get("chat_id")] += 1
        call.result = result
        self._record(call)
        return _ok(result)

    def _result(self, method: str, p: dict) -> Any:
        if method == "getMe":
            return self.me()
        if method in TRUE_METHODS:
            if method == "setMyCommands":
                self.commands = p.get("commands") or []
            elif method == "setWebhook":
                self.webhook_url = p.get("url", "")
            elif method == "deleteWebhook":
                self.webhook_url = ""
            return True
        if method == "getMyCommands":
            return self.commands
        if method == "getWebhookInfo":
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            }
        if method == "getChat":
            return {**self._chat(p.get("chat_id")), "accent_color_id": 0, "max_reaction_count": 11}
        if method == "copyMessage":
            return {"message_id": self._new_message_id(p.get("chat_id"))}
        if method == "sendMediaGroup":
            return [self._message(p, {}) for _ in p.get("media") or [{}]]
        if method in SEND_METHODS:
            return self._message(p, _content(method, p))
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            return self._edit(method, p)
        return None

    def me(self) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _chat(self, chat_id: Any) -> dict:
        known = self._chats.get(str(chat_id))
        if known:
            return known
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "居民"}
        if isinstance(chat_id, int) and str(chat_id).startswith("-100"):
            return {"id": chat_id, "type": "supergroup", "title": "群组"}
        return {"id": chat_id if isinstance(chat_id, int) else -1, "type": "group", "title": "群"}

    def _new_message_id(self, chat_id: Any) -> int:
        self._message_ids[str(chat_id)] += 1
        return self._message_ids[str(chat_id)]

    def _message(self, p: dict, content: dict) -> dict:
        chat_id = p.get("chat_id")
        msg = {
            "message_id": self._new_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.me(),
            **content,
        }
        if isinstance(p.get("reply_markup"), dict) and "inline_keyboard" in p["reply_markup"]:
            msg["reply_markup"] = p["reply_markup"]
        self._messages[(str(chat_id), msg["message_id"])] = (msg.get("text"), p.get("reply_markup"))
        return msg

    def _edit(self, method: str, p: dict) -> Any:
        if p.get("inline_message_id"):
            return True
        key = (str(p.get("chat_id")), int(p.get("message_id") or 0))
        old_text, old_markup = self._messages.get(key, (None, None))
        text = p.get("text", old_text) if method == "editMessageText" else old_text
        markup = p.get("reply_markup")
        if key in self._messages and text == old_text and markup == old_markup:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        self._messages[key] = (text, markup)
        msg = {
            "message_id": key[1],
            "date": int(time.time()) - 1,
            "edit_date": int(time.time()),
            "chat": self._chat(p.get("chat_id")),
            "from": self.me(),
        }
        if text is not None:
            msg["text"] = text
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        return msg


class _ApiError(Exception):
    def __init__(self, status: int, description: str):
        self.status, self.description = status, description


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    return {
        400: "Bad Request",
        403: "Forbidden: bot was blocked by the user",
        409: "Conflict: terminated by other getUpdates request",
        502: "Bad Gateway",
    }.get(status, "Internal Server Error")


def _content(method: str, p: dict) -> dict:
    if method == "sendMessage":
        out = {"text": p.get("text", "")}
        if p.get("entities"):
            out["entities"] = p["entities"]
        return out
    if method == "sendLocation":
        return {"location": {"latitude": p.get("latitude"), "longitude": p.get("longitude")}}
    kind = method.removeprefix("send").lower()
    out = {"caption": p["caption"]} if p.get("caption") else {}
    if kind == "photo":
        out["photo"] = [_file(1), _file(2)]
    elif kind in ("document", "audio", "voice", "video", "animation", "sticker"):
        out[kind] = _file(1)
    return out


def _file(n: int) -> dict:
    i = next(_ids)
    return {"file_id": f"FILE{i}", "file_unique_id": f"U{i}", "width": 90 * n, "height": 90 * n}


async def _params(request: web.Request) -> dict[str, Any]:
    """Decode a Bot API request the way Telegram does: query, form, multipart or JSON."""
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            return {**raw, **(body if isinstance(body, dict) else {})}
        form = await request.post()
        for k, v in form.items():
            raw[k] = v.filename if isinstance(v, web.FileField) else v
    return {k: _decode(k, v) for k, v in raw.items()}


def _decode(key: str, value: Any) -> Any:
    # PTB JSON-encodes every non-string parameter and sends strings raw.
    if not isinstance(value, str) or key in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


def _error(status: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


# ---- out-of-process control --------------------------------------------------------------
def _add_control_routes(app: web.Application, api: FakeBotAPI) -> None:
    async def push(request: web.Request) -> web.Response:
        updates = await request.json()
        for u in updates if isinstance(updates, list) else [updates]:
            api.push(u)
        return web.json_response({"queued": len(api._pending)})

    async def configure(request: web.Request) -> web.Response:
        conf = await request.json()
        if "rate_limit" in conf:
            api.set_rate_limit(**(conf["rate_limit"] or {"per_second": None}))
        for chat in conf.get("block", []):
            api.block(chat)
        for chat in conf.get("not_found", []):
            api.chat_not_found(chat)
        for chat, new in (conf.get("migrate") or {}).items():
            api.migrate(chat, new)
        for chat in conf.get("restore", []):
            api.restore(chat)
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        per_method = Counter(c.method for c in api.calls)
        return web.json_response(
            {
                "per_method": per_method,
                "ok_per_method": Counter(c.method for c in api.calls if c.ok),
                "sent_per_chat": {str(k): v for k, v in api.sent_per_chat.items()},
                "attempts_per_chat": {str(k): v for k, v in api.attempts_per_chat.items()},
                "rate_limited": api.rate_limited,
                "pending_updates": len(api._pending),
            }
        )

    async def calls(request: web.Request) -> web.Response:
        method = request.query.get("method")
        found = api.of(method)
        return web.json_response(
            [{"method": c.method, "params": c.params, "status": c.status} for c in found],
            dumps=_dumps,
        )

    async def wait(request: web.Request) -> web.Response:
        q = request.query
        try:
            found = await api.wait_for(
                q["method"], int(q.get("count", 1)), float(q.get("timeout", 10))
            )
        except TimeoutError as e:
            return web.json_response({"ok": False, "error": str(e)}, status=408)
        return web.json_response({"ok": True, "count": len(found)})

    async def clear(request: web.Request) -> web.Response:
        api.clear()
        return web.json_response({"ok": True})

    app.router.add_post("/_fake/push", push)
    app.router.add_post("/_fake/configure", configure)
    app.router.add_get("/_fake/stats", stats)
    app.router.add_get("/_fake/calls", calls)
    app.router.add_get("/_fake/wait", wait)
    app.router.add_post("/_fake/clear", clear)


def main() -> None:
    parser = argparse.ArgumentParser(description="fake Telegram Bot API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args()

    async def serve() -> None:
        api = await FakeBotAPI(args.token).start(port=args.port)
        print(f"fake Bot API on {api.base_url}{args.token}/<method>", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
