"""The web channel's HTTP side: the page, its files, and a JSON API, on the shared aiohttp app.

Every response carries a strict Content-Security-Policy; POSTs must come from the page itself
(same origin, the session's CSRF token), within the flood limits and the body size limit.
Failures answer with a short Chinese sentence, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.channels.base import Channel, Core
from bot.channels.web.answer import Outcome, WebResponder, entry_of
from bot.channels.web.assets import Assets
from bot.channels.web.guard import Window
from bot.channels.web.session import COOKIE, Sessions
from bot.channels.web.settings import WebConfig
from bot.models import Reply
from bot.web import WebServer

log = logging.getLogger(__name__)

MAX_BODY = 8 * 1024  # bytes; a question is at most a few hundred characters
SORRY = "抱歉，系统出了点问题，请稍后再试。"
EXPIRED = "页面已过期，请重新发送一次。"
FORBIDDEN = "请求来源不对，已拒绝。"
TOO_FAST = "您发得太快了，请稍等一会儿再问。"
TOO_BIG = "内容太长了，请用一两句话提问。"
BAD = "看不懂这个请求，请刷新页面后再试。"
WEB = web.AppKey("webchat", object)  # the WebEndpoint of an app, for tests and other parts

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refused(Exception):
    def __init__(self, status: int, text: str, why: str):
        super().__init__(why)
        self.status, self.text = status, text


class WebEndpoint:
    """Request handling for the resident chat page."""

    def __init__(self, core: Core, config: WebConfig):
        self.services = core.services
        self.config = config
        self.sessions = Sessions(config.secret)
        self.responder = WebResponder(core, config, self.sessions.new_id)
        self.assets = Assets()
        self.per_session = Window(config.flood.max_messages, config.flood.per_seconds)
        self.per_address = Window(config.flood.ip_max_messages, config.flood.per_seconds)
        ancestors = " ".join(["'self'", *config.allowed_origins])
        self.csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
            f"frame-ancestors {ancestors}"
        )

    def add_routes(self, app: web.Application) -> None:
        p = self.config.path
        app.router.add_get(p, self._guard(self.page))
        app.router.add_get(p + "/embed.js", self._guard(self.embed))
        app.router.add_get(p + "/static/{name}", self._guard(self.static))
        app.router.add_get(p + "/api/history", self._guard(self.history))
        app.router.add_post(p + "/api/message", self._guard(self.message))
        app.router.add_post(p + "/api/action", self._guard(self.action))

    # ---- responses -------------------------------------------------------------------------
    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                response = await handler(request)
            except Refused as e:
                log.warning("web %s %s refused (%d): %s", request.method, request.path, e.status, e)
                response = _json({"error": e.text}, e.status)
            except Exception:  # logged once with its traceback; the page gets one sentence
                log.exception("web request %s %s failed", request.method, request.path)
                response = _json({"error": SORRY}, 500)
            response.headers["Content-Security-Policy"] = self.csp
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
            return response

        return guarded

    def _secure(self, request: web.Request) -> bool:
        if self.config.trust_proxy and "X-Forwarded-Proto" in request.headers:
            return request.headers["X-Forwarded-Proto"].split(",")[0].strip() == "https"
        return request.secure

    def _set_cookie(
        self, request: web.Request, response: web.StreamResponse, session_id: str
    ) -> None:
        # Over HTTPS the cookie also works inside an iframe on an allowed site (SameSite=None,
        # partitioned per embedding site); over plain HTTP browsers only accept Lax. Written by
        # hand: http.cookies knows Partitioned only from Python 3.14.
        parts = [
            f"{COOKIE}={self.sessions.cookie_value(session_id)}",
            f"Max-Age={self.config.session_days * 86400}",
            f"Path={self.config.path}",
            "HttpOnly",
        ]
        parts += (
            ["Secure", "SameSite=None", "Partitioned"]
            if self._secure(request)
            else ["SameSite=Lax"]
        )
        response.headers.add("Set-Cookie", "; ".join(parts))

    def _session(self, request: web.Request) -> str | None:
        return self.sessions.session_of(request.cookies.get(COOKIE))

    # ---- GET -------------------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.Response:
        """The chat page, with this session's CSRF token; a new visitor gets a session cookie."""
        session_id = self._session(request)
        fresh = session_id is None
        session_id = session_id or self.sessions.new_id()
        kb = self.services.kb.kb
        h = kb.year.hotline
        body = self.assets.page(
            base=self.config.path,
            csrf=self.sessions.csrf_token(session_id),
            title=kb.year.title,
            hotline=f"{h.name}（{h.number}）",
            hotline_number=h.number,
            max_text=self.config.max_text,
        )
        response = web.Response(text=body, content_type="text/html", charset="utf-8")
        response.headers["Cache-Control"] = "no-store"
        if fresh:
            self._set_cookie(request, response, session_id)
        return response

    async def static(self, request: web.Request) -> web.Response:
        asset = self.assets.files.get(request.match_info["name"])
        if asset is None:
            return _json({"error": "not found"}, 404)
        return self._file(request, asset, "public, max-age=31536000, immutable")

    async def embed(self, request: web.Request) -> web.Response:
        """The one-line embedding script (loaded by other sites, so cached only briefly)."""
        return self._file(request, self.assets.files["embed.js"], "public, max-age=3600")

    @staticmethod
    def _file(request: web.Request, asset, cache: str) -> web.Response:
        gz = "gzip" in request.headers.get("Accept-Encoding", "")
        response = web.Response(
            body=asset.gzipped if gz else asset.body, content_type=asset.content_type
        )
        if gz:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = cache
        return response

    async def history(self, request: web.Request) -> web.Response:
        """The conversation so far (a reload, or a phone waking up), and the CSRF token."""
        session_id = self._session(request)
        fresh = session_id is None
        session_id = session_id or self.sessions.new_id()
        entries = await self.responder.so_far(session_id)
        response = _json({"entries": entries, "csrf": self.sessions.csrf_token(session_id)})
        if fresh:
            self._set_cookie(request, response, session_id)
        return response

    # ---- POST ------------------------------------------------------------------------------
    async def message(self, request: web.Request) -> web.Response:
        """A typed question."""
        session_id, data = await self._checked(request)
        text = data.get("text")
        if not isinstance(text, str):
            raise Refused(400, BAD, "message without text")
        return self._outcome(request, await self.responder.ask(session_id, text))

    async def action(self, request: web.Request) -> web.Response:
        """A button press: its action payload, and the entry whose button it was."""
        session_id, data = await self._checked(request)
        action, of = data.get("action"), data.get("of")
        if not isinstance(action, str) or not (
            of is None or (isinstance(of, int) and not isinstance(of, bool))
        ):
            raise Refused(400, BAD, "action without a payload")
        return self._outcome(request, await self.responder.press(session_id, action, of))

    def _outcome(self, request: web.Request, out: Outcome) -> web.Response:
        body: dict = {"entries": out.added}
        if out.updated is not None:
            body["updated"] = out.updated
        response = _json(body)
        if out.new_session is not None:  # /forget: a new, empty conversation under a new id
            body.update(reset=True, csrf=self.sessions.csrf_token(out.new_session))
            response = _json(body)
            self._set_cookie(request, response, out.new_session)
        return response

    async def _checked(self, request: web.Request) -> tuple[str, dict]:
        """Same origin, a valid session and its CSRF token, within limits: (session, body)."""
        expected = f"{'https' if self._secure(request) else 'http'}://{request.host}"
        origin = request.headers.get("Origin")
        if origin is not None and origin != expected:
            raise Refused(403, FORBIDDEN, f"cross-origin POST from {origin[:80]!r}")
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            raise Refused(403, FORBIDDEN, "cross-site POST (Sec-Fetch-Site)")
        session_id = self._session(request)
        if session_id is None or not self.sessions.csrf_ok(
            session_id, request.headers.get("X-CSRF-Token")
        ):
            raise Refused(403, EXPIRED, "no valid session or CSRF token")
        if not self.per_address.allow(self._address(request)):
            raise Refused(429, TOO_FAST, "address over its flood limit")
        if not self.per_session.allow(session_id):
            raise Refused(429, TOO_FAST, "session over its flood limit")
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise Refused(413, TOO_BIG, f"body of {request.content_length} bytes")
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(4096):  # a slow phone sends it in pieces
            size += len(chunk)
            if size > MAX_BODY:
                raise Refused(413, TOO_BIG, "body over the limit")
            chunks.append(chunk)
        raw = b"".join(chunks)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refused(400, BAD, "body is not JSON") from None
        if not isinstance(data, dict):
            raise Refused(400, BAD, "body is not a JSON object")
        return session_id, data

    def _address(self, request: web.Request) -> str:
        if self.config.trust_proxy and "X-Forwarded-For" in request.headers:
            return request.headers["X-Forwarded-For"].split(",")[-1].strip()  # the proxy's own hop
        return request.remote or "?"


def _json(data: dict, status: int = 200) -> web.Response:
    response = web.json_response(
        data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- the channel ---------------------------------------------------------------------------
class WebChannel(Channel):
    """The page on the shared web server. It cannot push: no sender, subscribing is a notice."""

    name = "web"
    label = "网页"
    settings_model = WebConfig

    def __init__(self, core: Core, settings: WebConfig):
        super().__init__(core, settings)
        self.endpoint = WebEndpoint(core, settings)

    async def start(self, web_server: WebServer) -> None:
        """Add the page and its API (under settings.path) and listen where the section says."""
        self.endpoint.add_routes(web_server.app)
        web_server.app[WEB] = self.endpoint
        web_server.listen(self.settings.listen, self.settings.port)

    async def stop(self) -> None:
        """Nothing to release: conversations live in memory and end with the process."""

    def render(self, reply: Reply) -> dict:
        return entry_of(reply)
