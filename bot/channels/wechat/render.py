"""Reply -> WeChat text: numbered options instead of buttons, pages within a byte budget."""

from __future__ import annotations

import time
from collections import OrderedDict

from bot.models import Reply
from bot.text import cut_line

MORE_WORDS = frozenset({"更多", "更多。", "更多内容", "more", "下一页", "继续"})
MORE_HINT = "……回复「更多」看下一部分"
CONTINUATION_TTL = 30 * 60  # seconds, like the dialogue context
MAX_USERS = 100_000


def render(reply: Reply) -> str:
    """Body, quote, then one '回复 N 标签' line per option (a typed number picks it)."""
    parts = [reply.text.strip()]
    if reply.quote:
        parts.append(f"「{reply.quote.strip()}」")
    if reply.buttons and not reply.numbers_pick_projects:
        parts.append(
            "\n".join(f"回复 {i} {b.label}" for i, b in enumerate(reply.flat_buttons(), 1))
        )
    return "\n".join(p for p in parts if p)


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8"))


def _cut(line: str, limit: int) -> list[str]:
    """Split one over-long line at character boundaries into pieces of <= limit bytes."""
    return cut_line(line, limit, _utf8_len)


def paginate(text: str, max_bytes: int) -> list[str]:
    """Pages of at most max_bytes UTF-8 bytes, cut on line boundaries; all but the last end
    with the 回复「更多」 hint."""
    if _utf8_len(text) <= max_bytes:
        return [text]
    budget = max_bytes - _utf8_len("\n" + MORE_HINT)
    pages: list[str] = []
    cur: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut(line, budget) if _utf8_len(line) > budget else [line]:
            n = _utf8_len(piece) + (1 if cur else 0)
            if cur and size + n > budget:
                pages.append("\n".join(cur))
                cur, size = [], 0
                n = _utf8_len(piece)
            cur.append(piece)
            size += n
    if cur:
        pages.append("\n".join(cur))
    return [p + "\n" + MORE_HINT for p in pages[:-1]] + pages[-1:]


class Continuations:
    """Per-user pages not yet shown; they expire, and a new question replaces them."""

    def __init__(self, ttl: float = CONTINUATION_TTL, max_users: int = MAX_USERS):
        self.ttl = ttl
        self.max_users = max_users
        self._data: OrderedDict[str, tuple[list[str], float]] = OrderedDict()

    def put(self, user_key: str, pages: list[str]) -> None:
        if not pages:
            self._data.pop(user_key, None)
            return
        self._data[user_key] = (list(pages), time.monotonic() + self.ttl)
        self._data.move_to_end(user_key)
        while len(self._data) > self.max_users:
            self._data.popitem(last=False)

    def next(self, user_key: str) -> str | None:
        """The next page for this user, or None when nothing (or only expired text) waits."""
        entry = self._data.pop(user_key, None)
        if entry is None or entry[1] < time.monotonic():
            return None
        pages, expires = entry
        page, rest = pages[0], pages[1:]
        if rest:
            self._data[user_key] = (rest, expires)
        return page

    def forget(self, user_key: str) -> None:
        self._data.pop(user_key, None)
