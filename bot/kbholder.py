"""The knowledge base and router currently serving, swapped whole on a successful reload."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot import regexcache
from bot.kb import KBError, KnowledgeBase, load_kb
from bot.router import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Serving:
    kb: KnowledgeBase
    router: Router


class KBHolder:
    def __init__(self, directory: Path | str | None = None, year: int | None = None):
        self.directory = directory
        self.year = year
        result = load_kb(directory, year)
        if not result.ok:
            raise KBLoadFailed(result.errors)
        self.current = Serving(result.kb, Router(result.kb))
        regexcache.save()  # the patterns this start compiled, for the next one

    @property
    def kb(self) -> KnowledgeBase:
        return self.current.kb

    @property
    def router(self) -> Router:
        return self.current.router

    def reload(self) -> list[KBError]:
        """Validate the files again; replace what serves only if all of it is valid."""
        result = load_kb(self.directory, self.year)
        if not result.ok:
            log.warning("knowledge reload rejected: %d errors", len(result.errors))
            return result.errors
        self.current = Serving(result.kb, Router(result.kb))  # one assignment: atomic for readers
        regexcache.save()
        log.info("knowledge reloaded: %d projects", len(result.kb.projects))
        return []


class KBLoadFailed(Exception):
    def __init__(self, errors: list[KBError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
