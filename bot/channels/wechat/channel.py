"""WeChat Official Account channel: the message-server endpoint on aiohttp.

GET verifies the URL; POST carries messages (plaintext or AES safe mode). Each message is
answered once, within a time budget, as a passive text reply; WeChat's retries get the reply
already produced (kept in memory for a minute, and in storage for retries after a restart).
With shared state (redis.url) several instances serve one Official Account: the first to claim
a message in Redis answers it and every retry, on any instance, gets that same reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

from aiohttp import web

from bot.channels.base import Channel, Core
from bot.channels.wechat.answer import Responder, user_key_of
from bot.channels.wechat.notify import WeChatNotifier
from bot.channels.wechat.protocol import (
    MAX_BODY,
    Refused,
    SafeMode,
    TooLarge,
    cdata_safe,
    check_fresh,
    check_ids,
    check_signature,
    dedupe_key,
    fields_of,
    message_of,
    parse_tree,
    parse_xml,
    text_reply,
)
from bot.channels.wechat.render import render
from bot.channels.wechat.sender import WeChatSender
from bot.channels.wechat.settings import WeChatConfig
from bot.httplog import quiet_malformed_http
from bot.models import Message, Reply
from bot.privacy import asks_to_forget
from bot.shared.once import CLAIMED, SharedOnce
from bot.web import WebServer

log = logging.getLogger(__name__)

ANSWER_BUDGET = 4.0  # seconds; WeChat gives up at 5 s, so past this we reply "success"
SUCCESS = "success"  # tells WeChat "received, no reply, do not retry"
SORRY = "抱歉，系统出了点问题，请稍后再试。"
PURGE_EVERY = 300.0  # seconds between deletions of expired dedupe rows
RECENT_TTL = 60.0  # seconds answers stay in memory (WeChat's retries come within about 15 s)
RECENT_MAX = 50_000
WECHAT = web.AppKey("wechat", object)  # the WeChatEndpoint of an app, for other parts


class WeChatEndpoint:
    """Request handling for one Official Account."""

    def __init__(
        self,
        core: Core,
        config: WeChatConfig,
        *,
        budget: float = ANSWER_BUDGET,
        notifier: WeChatNotifier | None = None,
    ):
        self.core = core
        self.config = config
        self.budget = budget
        self.dedupe = core.store.dedupe("wechat")
        self.once = SharedOnce(core.shared, "wechat") if core.shared is not None else None
        self.responder = Responder(core, config)
        self.responder.turns.on_job = self._follow
        self.notifier = notifier or WeChatNotifier(config, core.store)
        self.safe = (
            SafeMode(config.token, config.encoding_aes_key, config.app_id)
            if config.encoding_aes_key
            else None
        )
        self._recent: OrderedDict[str, tuple[asyncio.Future, float]] = OrderedDict()
        # Messages answered shortly before this process started (a restart): their retries
        # are looked up in storage. Everything answered here is found in memory.
        self._answered_before: set[str] = set()
        self._memory_complete_at = 0.0  # until then, memory lost entries early: ask storage
        self._late: set[asyncio.Task] = set()
        self._late_keys: set[str] = set()
        core.services.caches.append(self)

    def sweep(self, now: float | None = None) -> int:
        """Answers kept for WeChat's retries, past RECENT_TTL (otherwise only a new message
        pushes them out)."""
        now = time.monotonic() if now is None else now
        dropped = 0
        while self._recent:
            key, (fut, at) = next(iter(self._recent.items()))
            if not fut.done() or now - at < RECENT_TTL:
                break
            del self._recent[key]
            dropped += 1
        return dropped

    # ---- HTTP ------------------------------------------------------------------------------
    async def verify(self, request: web.Request) -> web.Response:
        """GET: WeChat checks the URL is ours; echo echostr if the signature is right."""
        q = request.query
        try:
            self._check_request(q)
        except Refused as e:
            return self._refuse(request, e)
        return web.Response(text=q.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        """POST: one message or event in, one passive reply (or 'success') out."""
        q = request.query
        try:
            self._check_request(q)
            body = await _read_limited(request, MAX_BODY)
            root = parse_tree(body)
            fields = fields_of(root)
            xml = body
            aes = q.get("encrypt_type", "").lower() == "aes"
            if aes:
                if self.safe is None:
                    raise Refused("encrypted message but no encoding_aes_key configured")
                xml = self.safe.decrypt(fields, q.get("msg_signature"), q["timestamp"], q["nonce"])
                root = parse_tree(xml)
                fields = fields_of(root)
            if not fields.get("MsgType") or not fields.get("FromUserName"):
                raise Refused("message without MsgType or FromUserName")
            check_ids(fields)
            message = message_of(root, xml)  # parsed once
        except Refused as e:
            return self._refuse(request, e)
        reply = await self._once(dedupe_key(fields), message)
        if reply == SUCCESS:
            return web.Response(text=SUCCESS)
        if aes:
            reply = self.safe.encrypt(reply, q["nonce"])
        return web.Response(text=reply, content_type="application/xml")

    def _check_request(self, q) -> None:
        check_signature(
            q.get("signature"), self.config.token, q.get("timestamp", ""), q.get("nonce", "")
        )
        check_fresh(q.get("timestamp"), self.config.timestamp_window)

    @staticmethod
    def _refuse(request: web.Request, e: Refused) -> web.Response:
        # Logged for the operator; the caller gets the status and nothing else.
        log.warning(
            "WeChat %s from %s refused (%d): %s", request.method, request.remote, e.status, e
        )
        return web.Response(
            status=e.status, text={400: "bad request", 403: "forbidden"}.get(e.status, "refused")
        )

    # ---- once, within the budget -----------------------------------------------------------
    async def _once(self, key: str, message) -> str:
        """The reply for this message, computed at most once however often WeChat retries."""
        fut = self._recent_future(key)
        if fut is None and self.once is not None:
            given = await self._claim(key)
            if given is not None:  # another instance answered it (or is answering it)
                return given
            fut = self._recent_future(key)  # a retry here may have started it meanwhile
        elif fut is None and (
            key in self._answered_before or time.monotonic() < self._memory_complete_at
        ):
            try:
                stored = await self.dedupe.reply_of(key)  # answered before a restart?
            except Exception:  # storage down: answer anyway rather than fall silent
                log.exception("WeChat dedupe read failed; answering without it")
                stored = None
            if stored is not None:
                return stored
            fut = self._recent_future(key)  # a retry may have started it while we read
        if fut is None:
            fut = asyncio.ensure_future(self._compute(key, message))
            self._remember_future(key, fut)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), self.budget)
        except asyncio.TimeoutError:
            log.warning("WeChat answer over the %.1f s budget; replied success", self.budget)
            self._deliver_late(key, fut, message.source)
            return SUCCESS

    async def _claim(self, key: str) -> str | None:
        """None: this instance answers the message. Else the reply another instance gave; or
        'success' when it is still computing at our budget's end (it delivers late itself)."""
        try:
            value = await self.once.claim(key)
            if value is None:
                return None
            if not value.startswith("pending:"):
                return value
            value = await self.once.wait(key, self.budget)
        except Exception:  # Redis down: answer anyway rather than fall silent
            log.exception("shared WeChat dedupe failed; answering without it")
            return None
        if value is CLAIMED:  # its first claimer died: ours now
            return None
        return SUCCESS if value is None else value

    def _recent_future(self, key: str) -> asyncio.Future | None:
        entry = self._recent.get(key)
        return entry[0] if entry else None

    def _remember_future(self, key: str, fut: asyncio.Future) -> None:
        """Keep answers (and answers in progress) of the last RECENT_TTL seconds in memory."""
        now = time.monotonic()
        self._recent[key] = (fut, now)
        while self._recent:
            _, (old, at) = next(iter(self._recent.items()))
            if not old.done() or (now - at < RECENT_TTL and len(self._recent) <= RECENT_MAX):
                break
            self._recent.popitem(last=False)
            if now - at < RECENT_TTL:  # evicted early: a retry of it must look in storage
                self._memory_complete_at = now + RECENT_TTL

    async def _compute(self, key: str, message) -> str:
        leaving = getattr(message, "event", "") == "unsubscribe" or (
            message.type == "text" and asks_to_forget(message.content or "")  # 删除我的记录
        )
        if leaving:  # their replies queued for storage must be stored before it is cleared
            await self.dedupe.flush()
        try:
            text = await self.responder.respond(message)
        except Exception:
            log.exception("WeChat answer failed")
            text = SORRY
        reply = self._xml(message, text) if text else SUCCESS
        if not leaving:  # nothing is kept about someone who just left
            self.dedupe.remember(key, user_key_of(message.source), reply)
        if self.once is not None:
            try:  # the claim becomes the reply; someone who just left: only for the claim's life
                await self.once.publish(key, reply, self.once.claim_ttl if leaving else None)
            except Exception:
                log.exception("shared WeChat reply not published")
        return reply

    def _deliver_late(self, key: str, fut: asyncio.Future, openid: str) -> None:
        """Past the budget WeChat has our 'success'; send the answer as a customer-service
        message when it is ready (the user just wrote, so the 48-hour window is open)."""
        if key in self._late_keys:  # a retry timed out too: one late message is enough
            return
        self._late_keys.add(key)

        async def later() -> None:
            reply = await asyncio.shield(fut)
            if reply != SUCCESS:
                text = parse_xml(reply).get("Content", "")
                status = await self.notifier.send_text(openid, text)
                log.info("late WeChat answer delivered by customer-service message: %s", status)

        task = asyncio.ensure_future(later())
        self._late.add(task)
        task.add_done_callback(self._late.discard)
        task.add_done_callback(lambda _t: self._late_keys.discard(key))

    def _follow(self, msg: Message, job_id: int) -> None:
        """A broadcast an admin confirmed here: the final report comes as a customer-service
        message (they just wrote, so the window is open); WeChat cannot edit a reply."""
        if self.core.desk is None:
            return

        async def report(text: str) -> None:
            status = await self.notifier.send_text(msg.chat_key, text)
            log.info("broadcast #%s report to a WeChat admin: %s", job_id, status)

        self.core.desk.follow(job_id, None, report)

    @staticmethod
    def _xml(message, text: str) -> str:
        """Passive text reply: From and To swapped."""
        return text_reply(message, cdata_safe(text), int(time.time()))

    # ---- lifecycle -------------------------------------------------------------------------
    async def lifecycle(self, _app: web.Application):
        """aiohttp cleanup context: at start learn which messages were answered just before (a
        restart); while running purge expired replies; at the end finish late deliveries and
        store every reply given."""
        try:
            self._answered_before = await self.dedupe.keys_since(RECENT_TTL)
        except Exception:  # without them a retry after a restart is answered again, no worse
            log.exception("loading recent WeChat reply keys failed")
        purger = asyncio.ensure_future(self._purge_forever())
        yield
        purger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purger
        if self._late:
            await asyncio.wait(self._late, timeout=5)
        await self.dedupe.flush()
        await self.notifier.close()

    async def _purge_forever(self) -> None:
        while True:
            try:
                n = await self.dedupe.purge()
                if n:
                    log.debug("purged %d WeChat dedupe rows", n)
            except Exception:
                log.exception("WeChat dedupe purge failed")
            await asyncio.sleep(PURGE_EVERY)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to be over the limit (before parsing)."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"body of {request.content_length} bytes")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# ---- wiring -------------------------------------------------------------------------------
class WeChatChannel(Channel):
    """One Official Account's message server, on the shared web server."""

    name = "wechat"
    label = "微信"
    settings_model = WeChatConfig

    def __init__(self, core: Core, settings: WeChatConfig, **options):
        super().__init__(core, settings)
        self.endpoint = WeChatEndpoint(core, settings, **options)

    async def start(self, web: WebServer) -> None:
        setup(web.app, self.endpoint)
        web.listen(self.settings.listen, self.settings.port)

    async def stop(self) -> None:
        """Nothing to do here: the web server's cleanup ends the endpoint's lifecycle."""

    def sender(self) -> WeChatSender | None:
        notifier = self.endpoint.notifier
        return WeChatSender(notifier) if notifier.can_send else None

    def render(self, reply: Reply) -> str:
        return render(reply)


def setup(web_app: web.Application, endpoint: WeChatEndpoint) -> WeChatEndpoint:
    """Add the WeChat routes (GET and POST at the configured path) to a shared aiohttp app."""
    quiet_malformed_http()  # also when served alone (build_app), not through bot.web
    path = endpoint.config.path
    web_app.router.add_get(path, endpoint.verify)
    web_app.router.add_post(path, endpoint.receive)
    web_app.cleanup_ctx.append(endpoint.lifecycle)
    web_app[WECHAT] = endpoint
    return endpoint


def build_app(core: Core, **options) -> web.Application:
    """A standalone aiohttp app serving only WeChat (tests)."""
    app = web.Application()
    setup(app, WeChatEndpoint(core, core.config.wechat, **options))
    return app
