"""Test side of WeChat: plays WeChat's servers, posting signed XML to our running endpoint.

Signatures and AES are computed here from WeChat's documented scheme, independently of
bot.channels.wechat.protocol, so a mistake there cannot hide behind the same mistake here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import os
import secrets
import struct
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.app import build_core
from bot.channels.wechat.channel import WECHAT, build_app
from bot.config import Config, WeChatConfig
from bot.services import Services
from bot.storage.subscriptions import SubscriptionRepo

FIXTURES = Path(__file__).parent / "fixtures" / "wechat"
TOKEN = "minxin-test-token"
APP_ID = "wx5f3a1c9e2b7d4a60"
ACCOUNT = "gh_7f083739789a"  # the Official Account's own id: ToUserName of incoming messages
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
_msg_ids = itertools.count(23_900_000_000_000_000 + os.getpid() * 1_000_000)


def sha1_signature(*parts: str) -> str:
    """WeChat's documented scheme: sort the strings, concatenate, SHA-1, hex."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def message_xml(fixture: str, **values) -> str:
    """A recorded-style message with its blanks filled ({openid}, {msg_id}, ...)."""
    values.setdefault("account", ACCOUNT)
    values.setdefault("create_time", str(int(time.time())))
    values.setdefault("msg_id", str(next(_msg_ids)))
    text = (FIXTURES / f"{fixture}.xml").read_text(encoding="utf-8")
    for k, v in values.items():
        text = text.replace("{" + k + "}", str(v))
    return text


def field(xml: str, name: str) -> str | None:
    el = ET.fromstring(xml).find(name)
    return None if el is None else el.text


# ---- AES as documented: AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes ----------------------
def _key() -> bytes:
    return base64.b64decode(AES_KEY + "=")


def aes_encrypt(xml: str, app_id: str = APP_ID) -> str:
    body = xml.encode()
    plain = secrets.token_bytes(16) + struct.pack(">I", len(body)) + body + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(_key()), modes.CBC(_key()[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def aes_decrypt(encrypted: str) -> tuple[str, str]:
    """(inner XML, app id) of an encrypted reply."""
    dec = Cipher(algorithms.AES(_key()), modes.CBC(_key()[:16])).decryptor()
    plain = dec.update(base64.b64decode(encrypted)) + dec.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode(), plain[20 + length :].decode()


class FakeWeChat:
    """WeChat's side of the conversation with our endpoint at `url`."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str = TOKEN):
        self.session = session
        self.url = url
        self.token = token

    def signed_query(self, timestamp: int | None = None, nonce: str | None = None) -> dict:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(5)
        return {"timestamp": ts, "nonce": nonce, "signature": sha1_signature(self.token, ts, nonce)}

    async def get(self, params: dict) -> tuple[int, str]:
        async with self.session.get(self.url, params=params) as r:
            return r.status, await r.text()

    async def post(self, body: bytes | str, params: dict | None = None) -> tuple[int, str]:
        params = self.signed_query() if params is None else params
        if isinstance(body, str):
            body = body.encode()
        async with self.session.post(self.url, params=params, data=body) as r:
            return r.status, await r.text()

    async def send(self, fixture: str, **values) -> str:
        """Post one message the way WeChat does; the reply's Content ('' for 'success')."""
        status, text = await self.post(message_xml(fixture, **values))
        assert status == 200, (status, text)
        return "" if text == "success" else field(text, "Content")

    async def ask(self, openid: str, text: str) -> str:
        return await self.send("text", openid=openid, content=text)

    async def post_encrypted(self, xml: str, nonce: str = "wxnonce42") -> tuple[int, str]:
        encrypted = aes_encrypt(xml)
        params = self.signed_query(nonce=nonce)
        params.update(
            encrypt_type="aes",
            msg_signature=sha1_signature(self.token, params["timestamp"], nonce, encrypted),
            openid="o-ignored-here",
        )
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return await self.post(body, params)


def wechat_config(**overrides) -> Config:
    values = {"token": TOKEN, "app_id": APP_ID, "path": "/wechat"}
    values.update(overrides)
    return Config(wechat=WeChatConfig(**values))


@contextlib.asynccontextmanager
async def running(services: Services, config: Config, db, **options):
    """Our WeChat endpoint on 127.0.0.1 (ephemeral port), and WeChat's side to talk to it."""
    app = build_app(build_core(config, services, db), **options)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            fake = FakeWeChat(session, str(server.make_url(config.wechat.path)))
            fake.endpoint = app[WECHAT]  # our side, for tests that wait on its storage
            yield fake
    finally:
        await server.close()


def services_with_storage(holder, db, **kwargs) -> Services:
    return Services(holder, subscriptions=SubscriptionRepo(db), **kwargs)


class RecordingQuestionLog:
    """The dialogue's question log: every question it actually answered, in order."""

    def __init__(self):
        self.questions: list[tuple[str, str]] = []

    async def record(self, msg, route, outcome=None) -> None:
        self.questions.append((msg.user_key, msg.text))


class FakeWeChatAPI:
    """api.weixin.qq.com on 127.0.0.1: access token, template and customer-service messages,
    menu creation. `errcodes[openid]` makes sends to that user fail the way WeChat does."""

    def __init__(self, app_id: str = APP_ID, secret: str = "test-app-secret"):
        self.app_id = app_id
        self.secret = secret
        self.calls: list[tuple[str, dict]] = []  # (endpoint, JSON body)
        self.tokens_issued = 0
        self.errcodes: dict[str, int] = {}
        self.http_status: int = 200
        self._arrived = asyncio.Event()

    def app(self):
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/{endpoint:.+}", self._call)
        return app

    async def _token(self, request):
        q = request.query
        if (q.get("appid"), q.get("secret")) != (self.app_id, self.secret):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens_issued += 1
        return web.json_response(
            {"access_token": f"ACCESS{self.tokens_issued}", "expires_in": 7200}
        )

    async def _call(self, request):
        if request.query.get("access_token") != f"ACCESS{self.tokens_issued}":
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = json.loads(await request.read())
        self.calls.append((request.match_info["endpoint"], body))
        self._arrived.set()
        if self.http_status != 200:
            return web.Response(status=self.http_status, text="busy")
        errcode = self.errcodes.get(body.get("touser", ""), 0)
        return web.json_response({"errcode": errcode, "errmsg": "ok" if not errcode else "refused"})

    async def wait_for_calls(self, n: int, timeout: float = 30) -> None:
        async def wait():
            while len(self.calls) < n:
                self._arrived.clear()
                if len(self.calls) < n:
                    await self._arrived.wait()

        await asyncio.wait_for(wait(), timeout)


@contextlib.asynccontextmanager
async def fake_wechat_api(**kwargs):
    """The fake API running on 127.0.0.1; yields (fake, base URL for wechatpy)."""
    api = FakeWeChatAPI(**kwargs)
    server = TestServer(api.app(), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield api, str(server.make_url("/cgi-bin/"))
    finally:
        await server.close()
