"""Anonymous sessions: a random id in a cookie, signed with HMAC so it cannot be forged or guessed.

The cookie is `<id>.<signature>`; a cookie whose signature does not match is treated as no
cookie at all (the browser gets a fresh session, never someone else's). The CSRF token is a
second HMAC of the id: a page from another site can neither read it nor compute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets

from bot.channels.web.settings import SECRET_ENV

log = logging.getLogger(__name__)

COOKIE = "mxt_session"
_ID_BYTES = 18  # 144 random bits


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class Sessions:
    """Issue and check session cookies and CSRF tokens under one secret."""

    def __init__(self, secret: str | None):
        if not secret:
            # A try-out without a secret still works; sessions just end when the process does.
            log.warning("no web session secret (set %s): sessions reset at restart", SECRET_ENV)
            secret = secrets.token_urlsafe(32)
        self._key = secret.encode("utf-8")

    def _mac(self, purpose: str, session_id: str) -> str:
        msg = f"{purpose}|{session_id}".encode()
        return _b64(hmac.new(self._key, msg, hashlib.sha256).digest()[:18])

    def new_id(self) -> str:
        return _b64(secrets.token_bytes(_ID_BYTES))

    def cookie_value(self, session_id: str) -> str:
        return f"{session_id}.{self._mac('session', session_id)}"

    def session_of(self, cookie: str | None) -> str | None:
        """The session id a cookie carries, or None when it is missing, malformed or forged."""
        if not cookie or len(cookie) > 100:
            return None
        session_id, dot, mac = cookie.partition(".")
        if not dot or not session_id:
            return None
        if not hmac.compare_digest(mac.encode(), self._mac("session", session_id).encode()):
            return None
        return session_id

    def csrf_token(self, session_id: str) -> str:
        return self._mac("csrf", session_id)

    def csrf_ok(self, session_id: str, token: str | None) -> bool:
        if not token:
            return False
        return hmac.compare_digest(token.encode(), self.csrf_token(session_id).encode())
