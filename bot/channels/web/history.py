"""Each conversation's recent messages, kept in memory so a reloaded or woken page can redraw it.

Like the dialogue context, it lives in this process only: bounded per conversation and overall,
and dropped after a quiet spell. /forget drops it at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

MAX_SESSIONS = 50_000


@dataclass
class Conversation:
    entries: list[dict] = field(default_factory=list)
    next_id: int = 1
    touched: float = field(default_factory=time.monotonic)


class History:
    def __init__(self, max_entries: int, ttl: float, max_sessions: int = MAX_SESSIONS):
        self.max_entries = max_entries
        self.ttl = ttl
        self.max_sessions = max_sessions
        self._data: OrderedDict[str, Conversation] = OrderedDict()

    def _get(self, session_id: str) -> Conversation | None:
        conv = self._data.get(session_id)
        if conv is not None and time.monotonic() - conv.touched > self.ttl:
            del self._data[session_id]
            return None
        return conv

    def entries(self, session_id: str) -> list[dict]:
        conv = self._get(session_id)
        return list(conv.entries) if conv else []

    def add(self, session_id: str, entry: dict) -> dict:
        """Append an entry (given the next id); the oldest fall off past max_entries."""
        conv = self._get(session_id)
        if conv is None:
            conv = self._data[session_id] = Conversation()
        entry = {**entry, "id": conv.next_id}
        conv.next_id += 1
        conv.entries.append(entry)
        del conv.entries[: -self.max_entries]
        conv.touched = time.monotonic()
        self._data.move_to_end(session_id)
        while len(self._data) > self.max_sessions:
            self._data.popitem(last=False)
        return entry

    def find(self, session_id: str, entry_id: int) -> dict | None:
        conv = self._get(session_id)
        for entry in conv.entries if conv else ():
            if entry["id"] == entry_id:
                return entry
        return None

    def last_bot(self, session_id: str) -> dict | None:
        conv = self._get(session_id)
        for entry in reversed(conv.entries if conv else ()):
            if entry["who"] == "bot":
                return entry
        return None

    def forget(self, session_id: str) -> None:
        self._data.pop(session_id, None)
