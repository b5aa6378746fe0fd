"""Pushes to WeChat users through wechatpy's client: template messages and customer-service text.

WeChat's rules, which this module follows rather than hides:
- customer-service messages only within 48 hours of the user's last message to us, and only
  so many of them (`service_quota`) until the user writes again;
- template messages need a certified service account and a template chosen in the admin console;
- mass sends (1/day subscription account, 4/month service account) are not used here.
wechatpy's client is synchronous (requests); calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.base import Store
from bot.channels.wechat.settings import WeChatConfig

log = logging.getLogger(__name__)

API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
TIMEOUT = 10.0  # seconds per API call
SERVICE_WINDOW = dt.timedelta(hours=48)  # customer-service messages: 48 h after the user wrote
TEMPLATE_TEXT_MAX = 200  # characters; template fields are short, the full answer is in the bot

# Error codes meaning "this user cannot be reached": stop sending to them.
BLOCKED = {
    40003,  # invalid openid (not a follower of this account)
    43004,  # the user does not follow the account any more
    43019,  # the user is blacklisted by the account
    43101,  # the user refused this kind of message
    48002,  # the user blocked messages from the account
}
# WeChat does not allow this push: outside the 48-hour window (45015), or the account lacks the
# interface (48001: e.g. customer-service or template messages on an uncertified account).
# 45047: over the customer-service quota since the user last wrote.
NOT_ALLOWED = {45015, 45047, 48001}


class _Session(requests.Session):
    """wechatpy fetches the access token without a timeout; give every call one."""

    def request(self, *args, **kwargs):
        kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT
        return super().request(*args, **kwargs)


class _Client(WeChatClient):
    """wechatpy's client, with a configurable API base (a fake server in tests)."""

    def __init__(self, appid: str, secret: str, api_base_url: str = API_BASE_URL):
        super().__init__(appid, secret, timeout=TIMEOUT)
        self.API_BASE_URL = api_base_url
        self._http = _Session()

    def fetch_access_token(self):
        # wechatpy hard-codes the production URL here; use the same base as every other call.
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def make_client(app_id: str, secret: str, api_base_url: str | None = None) -> WeChatClient:
    return _Client(app_id, secret, api_base_url or API_BASE_URL)


def template_data(text: str) -> dict:
    """The template's slots: {{first.DATA}} the heading line, {{content.DATA}} the rest."""
    first, _, rest = text.strip().partition("\n")
    return {
        "first": {"value": first[:TEMPLATE_TEXT_MAX]},
        "content": {"value": (rest.strip() or first)[:TEMPLATE_TEXT_MAX]},
    }


class WeChatNotifier:
    """Send one user a progress notice; the answer is sent | blocked | failed | skipped."""

    def __init__(
        self,
        config: WeChatConfig,
        store: Store | None = None,
        *,
        api_base_url: str | None = None,
    ):
        self.config = config
        self.store = store
        self.secret = config.app_secret or os.environ.get("WECHAT_APP_SECRET") or None
        self.api_base_url = api_base_url or config.api_base_url
        self._client: WeChatClient | None = None
        # Customer-service pushes per OpenID since the last message seen from them. Kept in
        # memory: after a restart WeChat's own 45047 answer stops an excess one.
        self._pushed: dict[str, tuple[dt.datetime, int]] = {}

    @property
    def can_send(self) -> bool:
        return bool(self.secret)

    def client(self) -> WeChatClient:
        if self._client is None:
            self._client = make_client(self.config.app_id, self.secret, self.api_base_url)
        return self._client

    async def send_progress_notice(self, openid: str, text: str) -> str:
        """A template message when a template id is configured, else a customer-service message
        if the user wrote within 48 hours; otherwise 'skipped' (WeChat allows nothing else)."""
        if not self.can_send:
            return "skipped"
        if self.config.template_id:
            return await self._call(
                "template",
                lambda c: c.message.send_template(
                    openid, self.config.template_id, template_data(text)
                ),
            )
        seen = await self._window_start(openid)
        if seen is None or self._quota_left(openid, seen) <= 0:
            return "skipped"
        outcome = await self.send_text(openid, text)
        if outcome == "sent":
            self._pushed[openid] = (seen, self._used(openid, seen) + 1)
        return outcome

    async def can_reach(self, openid: str) -> bool:
        """Would a progress notice reach this user now (template, or window and quota)?"""
        if not self.can_send:
            return False
        if self.config.template_id:
            return True
        seen = await self._window_start(openid)
        return seen is not None and self._quota_left(openid, seen) > 0

    async def send_text(self, openid: str, text: str) -> str:
        """A customer-service text message (only within 48 h of the user's last message)."""
        if not self.can_send:
            return "skipped"
        return await self._call("text", lambda c: c.message.send_text(openid, text))

    async def _window_start(self, openid: str) -> dt.datetime | None:
        """When the user last wrote, if that was within the 48-hour window; else None."""
        if self.store is None:
            return None
        seen = await self.store.last_seen(f"wx:{openid}")
        if seen is None or dt.datetime.now(dt.timezone.utc) - seen >= SERVICE_WINDOW:
            return None
        return seen

    def _used(self, openid: str, seen: dt.datetime) -> int:
        at, count = self._pushed.get(openid, (None, 0))
        return count if at == seen else 0  # a newer message from them opened a new window

    def _quota_left(self, openid: str, seen: dt.datetime) -> int:
        return self.config.service_quota - self._used(openid, seen)

    async def _call(self, what: str, fn) -> str:
        try:
            await asyncio.to_thread(fn, self.client())
        except WeChatClientException as e:
            if e.errcode in BLOCKED:
                log.info("WeChat %s message: user unreachable (errcode %s)", what, e.errcode)
                return "blocked"
            if e.errcode in NOT_ALLOWED:
                log.info("WeChat %s message not allowed (errcode %s)", what, e.errcode)
                return "skipped"
            log.warning("WeChat %s message failed: errcode %s %s", what, e.errcode, e.errmsg)
            return "failed"
        except Exception as e:  # network errors: the broadcast engine decides about retries
            log.warning("WeChat %s message failed: %s", what, type(e).__name__)
            return "failed"
        return "sent"

    async def close(self) -> None:
        if self._client is not None:
            self._client._http.close()
            self._client = None
