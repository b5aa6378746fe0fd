"""Malformed HTTP from the internet: one WARNING per client per minute, no traceback.

aiohttp logs every request it cannot parse (bad chunking, CL+TE, a garbage request line) as an
ERROR with a full traceback: anyone can fill the log with them. This filter on aiohttp's server
logger turns those into a short WARNING, at most once per client address per `every` seconds.
Errors in our own handlers are not touched: they keep their traceback.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from aiohttp.http_exceptions import HttpProcessingError

SERVER_LOGGER = "aiohttp.server"
EVERY = 60.0  # seconds between two warnings about the same client
MAX_CLIENTS = 10_000  # addresses remembered; the oldest are forgotten first


class MalformedHttpFilter(logging.Filter):
    def __init__(self, every: float = EVERY, clock=time.monotonic):
        super().__init__()
        self.every = every
        self.clock = clock
        self._last: OrderedDict[str, float] = OrderedDict()
        self.suppressed = 0  # repeats not logged (told in the next warning for that client)

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        client = str(record.args[0]) if isinstance(record.args, tuple) and record.args else "?"
        now = self.clock()
        last = self._last.get(client)
        if last is not None and now - last < self.every:
            self.suppressed += 1
            return False
        self._last[client] = now
        self._last.move_to_end(client)
        while len(self._last) > MAX_CLIENTS:
            self._last.popitem(last=False)
        reason = (getattr(exc, "message", "") or type(exc).__name__).splitlines()[0][:120]
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "malformed HTTP request from %s (%s %s); more from it within %.0f s not logged"
        record.args = (client, getattr(exc, "code", 400), reason, self.every)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


_installed: MalformedHttpFilter | None = None


def quiet_malformed_http() -> MalformedHttpFilter:
    """Install the filter once per process (every web server shares aiohttp's logger)."""
    global _installed
    if _installed is None:
        _installed = MalformedHttpFilter()
        logging.getLogger(SERVER_LOGGER).addFilter(_installed)
    return _installed
