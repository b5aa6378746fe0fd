"""One aiohttp web application shared by every channel that receives HTTP (Telegram webhook, WeChat).

Channels add their routes to `WebServer.app` and name the address they listen on; `start()` serves
the one application on every address asked for, so two channels may share a port or use two.
Routes must be added before `start()` (aiohttp freezes the router then).

GET /healthz: the process serves HTTP (liveness). GET /readyz: every readiness check bot.app
registered (database, Redis, knowledge) passes and the process is not shutting down: 200 with
each check's result as JSON, else 503 (a load balancer sends residents elsewhere).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.httplog import quiet_malformed_http

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds a readiness check may take before it counts as failed
# In-flight requests get this long to finish at shutdown: WeChat's answer budget is 4 s.
SHUTDOWN_GRACE = 6.0


class WebServer:
    def __init__(self) -> None:
        quiet_malformed_http()  # strangers' broken requests: a warning, not a traceback each
        self.app = web.Application(client_max_size=1024 * 1024)
        self.app.router.add_get("/healthz", _healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.checks: dict[str, Callable[[], Awaitable[bool]]] = {}
        self.draining = False  # set at shutdown: not ready, though in-flight answers finish
        self._addresses: list[tuple[str, int]] = []
        self._runner: web.AppRunner | None = None
        self.bound: list[tuple[str, int]] = []  # actual (host, port) pairs once started

    def listen(self, host: str, port: int) -> None:
        """Ask for the application to be served on host:port (asking twice is harmless)."""
        if (host, port) not in self._addresses:
            self._addresses.append((host, port))

    @property
    def needed(self) -> bool:
        return bool(self._addresses)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        await self._runner.setup()
        for host, port in self._addresses:
            site = web.TCPSite(self._runner, host, port)
            await site.start()
            for sock in site._server.sockets:  # port 0 asks the OS for a free port
                self.bound.append(sock.getsockname()[:2])
            log.info("web server listening on %s:%s", host, port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _readyz(self, request: web.Request) -> web.Response:
        results = {name: await _passes(check) for name, check in self.checks.items()}
        ready = all(results.values()) and not self.draining
        body = {"ready": ready, "checks": results}
        if self.draining:
            body["draining"] = True
        return web.json_response(body, status=200 if ready else 503)


async def _passes(check: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return bool(await asyncio.wait_for(check(), CHECK_TIMEOUT))
    except Exception as e:  # a check that fails or hangs is "not ready", never a 500
        log.warning("readiness check failed: %s", e or type(e).__name__)
        return False


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")
