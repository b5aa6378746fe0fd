"""The `web` config section: where the chat page is served, who may embed it, its limits."""

from __future__ import annotations

import os
import re

from pydantic import Field, HttpUrl, field_validator

from bot.channels.settings import Section

SECRET_ENV = "MINXIN_WEB_SECRET"
_ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class WebFloodConfig(Section):
    max_messages: int = Field(default=20, ge=1)  # per session
    per_seconds: float = Field(default=60, gt=0)
    # Per client address: many phones share one carrier NAT address, so this is much higher.
    ip_max_messages: int = Field(default=300, ge=1)


class WebConfig(Section):
    enabled: bool = True
    path: str = Field(default="/chat", pattern=r"^(/[A-Za-z0-9_-]+)+$")
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Sites allowed to show the page in an iframe (CSP frame-ancestors), e.g. https://www.example.gov.cn
    allowed_origins: list[str] = Field(default_factory=list)
    session_secret: str | None = Field(default=None, min_length=16)  # or MINXIN_WEB_SECRET
    session_days: int = Field(default=30, ge=1)  # how long the browser keeps its anonymous id
    # The page cannot push notices: subscribing points residents here instead.
    subscribe_notice: str = Field(
        default="网页上无法推送进展通知。订阅请关注公众号，在公众号里发送「订阅」。", min_length=2
    )
    subscribe_link: HttpUrl | None = None  # e.g. the Official Account's article or QR page
    subscribe_link_label: str = "去关注公众号"
    history_max: int = Field(default=60, ge=2, le=500)  # messages kept per conversation
    history_hours: float = Field(default=24, gt=0)  # an idle conversation is dropped after this
    max_text: int = Field(default=500, ge=20, le=4000)  # characters in one question
    flood: WebFloodConfig = Field(default_factory=WebFloodConfig)
    # Behind a reverse proxy: read the client address (X-Forwarded-For, last hop) and the
    # scheme (X-Forwarded-Proto) from its headers. Never set this without a proxy in front.
    trust_proxy: bool = False

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not _ORIGIN_RE.match(origin):
                raise ValueError(f"{origin!r} is not an origin like https://www.example.gov.cn")
        return value

    @property
    def runs(self) -> bool:  # bot.channels.configured: a section with enabled: false stays off
        return self.enabled

    @property
    def secret(self) -> str | None:
        return self.session_secret or os.environ.get(SECRET_ENV) or None
