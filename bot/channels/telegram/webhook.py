"""Telegram webhook endpoint on the shared aiohttp app: check the secret, store, acknowledge."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.channels.telegram.intake import Intake, sanitised

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_webhook_route(web_app: web.Application, intake: Intake, path: str, secret: str) -> None:
    """POST `path`: 403 unless the secret header matches; else store, then 200, then handle."""
    expected = secret.encode("utf-8")

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, expected):  # constant time: no guessing by timing
            log.warning("webhook: wrong or missing secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
        except Exception as e:  # any malformed body: tell the sender, keep serving
            log.warning("webhook: unreadable update (%s)", type(e).__name__)
            return web.Response(status=400, text="bad update")
        try:
            update = Update.de_json(sanitised(data), intake.app.bot)
        except Exception as e:  # Telegram's, but a shape this PTB cannot read: retrying is futile
            log.warning("webhook: update %s skipped (%s)", data["update_id"], type(e).__name__)
            return web.Response(text="ok")
        try:
            await intake.accept(update, data)  # committed before Telegram hears "ok"
        except Exception as e:  # not stored: no 200, so Telegram delivers it again
            log.error("webhook: update %s not stored: %s", update.update_id, e)
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    web_app.router.add_post(path, receive)
