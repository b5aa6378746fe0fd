"""Telegram webhook endpoint on the shared aiohttp app: check the secret, queue the update."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_webhook_route(web_app: web.Application, app: Application, path: str, secret: str) -> None:
    """POST `path`: 403 unless the secret header matches; else parse and queue the update."""
    expected = secret.encode("utf-8")

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, expected):  # constant time: no guessing by timing
            log.warning("webhook: wrong or missing secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or "update_id" not in data:
                raise ValueError("not an update")
            update = Update.de_json(data, app.bot)
        except Exception as e:  # any malformed body: tell the sender, keep serving
            log.warning("webhook: unreadable update (%s)", type(e).__name__)
            return web.Response(status=400, text="bad update")
        await app.update_queue.put(update)
        return web.Response(text="ok")

    web_app.router.add_post(path, receive)
