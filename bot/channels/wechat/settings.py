"""The wechat: section of the config (no wechatpy import: the config loads without it)."""

from __future__ import annotations

from pydantic import Field

from bot.channels.settings import Section


class WeChatConfig(Section):
    token: str = Field(min_length=3)
    app_id: str = Field(min_length=1)
    app_secret: str | None = None  # or WECHAT_APP_SECRET; needed for menu upload and templates
    encoding_aes_key: str | None = Field(default=None, min_length=43, max_length=43)
    path: str = "/wechat"
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    timestamp_window: int = Field(default=300, ge=10)  # seconds; older requests are replays
    reply_max_bytes: int = Field(default=2000, ge=200)
    template_id: str | None = None  # progress notices as template messages when set
    # Customer-service pushes per user between two of their messages (WeChat refuses more
    # with errcode 45047; set it to your account's limit).
    service_quota: int = Field(default=5, ge=0)
    api_base_url: str | None = None  # default https://api.weixin.qq.com/cgi-bin/ (tests: a fake)
    admins: list[str] = Field(default_factory=list)  # OpenIDs; the same as admins: {wechat: […]}
    staff: list[str] = Field(default_factory=list)
