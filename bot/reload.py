"""Live knowledge reload: on /reload or when files under knowledge/ change.

The new KB is fully validated (in a worker thread, so updates keep flowing) before it replaces
the old one; on any error the old one keeps serving and the errors come back as file:line lines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from bot import heap
from bot.kb.loader import DEFAULT_DIR
from bot.kbholder import KBHolder

log = logging.getLogger(__name__)
KB_SUFFIXES = (".yaml", ".yml", ".txt")


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    errors: list[str]  # file:line: field: message, paths relative to the knowledge folder
    projects: int  # how many projects serve now (old count if rejected)
    changed: list[str]  # files that triggered a watcher reload (empty for /reload)

    def summary(self) -> str:
        """One line for logs and the audit log."""
        if self.ok:
            return f"knowledge reloaded: {self.projects} projects"
        return f"knowledge reload rejected: {len(self.errors)} errors"


class _KBFilter(DefaultFilter):
    """Knowledge files only; editors' swap and backup files are ignored by the default filter."""

    def __call__(self, change: Change, path: str) -> bool:
        return path.endswith(KB_SUFFIXES) and super().__call__(change, path)


class Reloader:
    def __init__(self, holder: KBHolder):
        self.holder = holder
        self.directory = Path(holder.directory) if holder.directory else DEFAULT_DIR
        self._lock = asyncio.Lock()  # /reload and the watcher never load at the same time

    async def reload(self, changed: list[str] | None = None) -> ReloadResult:
        async with self._lock:
            errors = await asyncio.to_thread(self.holder.reload)
        if not errors:
            heap.resettle()  # the old KB collected now, the new one frozen like the first
        lines = [self._relative(str(e)) for e in errors]
        result = ReloadResult(not errors, lines, len(self.holder.kb.projects), changed or [])
        log.info("%s", result.summary())
        return result

    async def watch(
        self,
        on_result: Callable[[ReloadResult], Awaitable[None]],
        stop: asyncio.Event | None = None,
        debounce_ms: int = 800,
        ready: asyncio.Event | None = None,
    ) -> None:
        """Reload after every burst of edits under the folder until `stop` is set."""
        log.info("watching %s for knowledge edits", self.directory)
        watcher = awatch(
            self.directory,
            watch_filter=_KBFilter(),
            debounce=debounce_ms,
            stop_event=stop,
            yield_on_timeout=True,  # an empty set every second: proof the watch is installed
            rust_timeout=1000,
        )
        async for changes in watcher:
            if ready is not None:
                ready.set()
            if not changes:
                continue
            names = sorted({self._relative(p) for _, p in changes})
            try:
                result = await self.reload(names)
                await on_result(result)
            except Exception:  # one bad reload or notice must not end the watching
                log.exception("knowledge reload after %s failed", names)

    def _relative(self, text: str) -> str:
        prefix = str(self.directory.resolve()) + "/"
        text = text.replace(prefix, "")
        return text.replace(str(self.directory) + "/", "")
