"""Test side of the web chat: `run`'s own serve() with only a web section, on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading

from bot.channels.web.settings import WebConfig
from bot.cli.run import serve
from bot.config import Config

SECRET = "web-test-secret-0123456789"


def web_only(tmp_path, **web) -> Config:
    """A config with only a web section; port 0 lets the OS pick (the schema wants 1..65535)."""
    section = WebConfig(session_secret=SECRET, **web).model_copy(update={"port": 0})
    return Config(web=section, database={"url": f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"})


@contextlib.asynccontextmanager
async def serving(config: Config, holder):
    """`serve` as `run` starts it; yields (base URL of the page, what is running)."""
    stop, ready = asyncio.Event(), asyncio.Event()
    running: dict = {}

    def on_ready(what):
        running.update(what)
        ready.set()

    server = asyncio.create_task(serve(config, holder, stop, on_ready))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        host, port = running["web"].bound[0]
        yield f"http://{host}:{port}{config.web.path}", running
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


class ServerThread:
    """The same server in a thread of its own, for the (synchronous) browser tests."""

    def __init__(self, config: Config, holder):
        self.config, self.holder = config, holder
        self.url = ""
        self.running: dict = {}
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def main():
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            async with serving(self.config, self.holder) as (url, running):
                self.url, self.running = url, running
                self._ready.set()
                await self._stop.wait()

        asyncio.run(main())

    def __enter__(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the web chat server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def csrf_of(page_html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page_html).group(1)
