"""The Redis connection every shared store uses, and the key prefix that keeps deployments apart."""

from __future__ import annotations

import logging
import uuid

log = logging.getLogger(__name__)


class SharedState:
    """One Redis client (asyncio) per process; None of this exists without `redis.url`."""

    def __init__(self, url: str, prefix: str = "minxin:"):
        import redis.asyncio as aioredis  # only deployments with redis.url need the package

        self.url = url
        self.prefix = prefix
        # One id per process: whose claim a pending answer is (logs, and the dying-instance case).
        self.instance = uuid.uuid4().hex[:12]
        self.redis = aioredis.from_url(
            url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0
        )

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def ping(self) -> bool:
        """True when Redis answers (readiness)."""
        try:
            return bool(await self.redis.ping())
        except Exception as e:
            log.warning("Redis does not answer: %s", e)
            return False

    async def close(self) -> None:
        await self.redis.aclose()
