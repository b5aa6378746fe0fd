"""The telegram: section of the config (no Telegram import: the config loads without it)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field

from bot.channels.settings import Section


class WebhookConfig(Section):
    url: str  # public HTTPS URL Telegram posts to
    listen: str = "127.0.0.1"
    port: int = Field(default=8443, ge=1, le=65535)
    path: str = "/telegram"
    secret_token: str = Field(min_length=8, pattern=r"^[A-Za-z0-9_-]{8,256}$")


class FloodConfig(Section):
    max_messages: int = Field(default=20, ge=1)
    per_seconds: float = Field(default=60, gt=0)


class TelegramConfig(Section):
    token: str | None = None  # or TELEGRAM_BOT_TOKEN
    base_url: str | None = None  # a self-hosted Bot API server, e.g. http://127.0.0.1:8081/bot
    mode: Literal["polling", "webhook"] = "polling"
    # aiohttp: our transport for every Bot API call; httpx: PTB's default (an escape hatch,
    # e.g. behind a proxy only httpx speaks; it costs ~2-3x the CPU per update).
    transport: Literal["aiohttp", "httpx"] = "aiohttp"
    webhook: WebhookConfig | None = None
    flood: FloodConfig = Field(default_factory=FloodConfig)
    admins: list[int] = Field(default_factory=list)
    staff: list[int] = Field(default_factory=list)

    @property
    def runs(self) -> bool:
        """Telegram runs when a token is known."""
        return bool(self.token or os.environ.get("TELEGRAM_BOT_TOKEN"))
