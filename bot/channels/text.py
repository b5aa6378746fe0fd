"""What every text-only channel shares (WeChat, the console, later others): numbered options
typed as numbers, replies cut into pages within a byte budget, and 更多 for the next page.

`TextChannel.answer` is the whole turn: 更多 shows the next page; anything else goes to the
Conversation with numbered options, is rendered by the channel and cut into pages.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.conversation import Conversation
from bot.models import Message, Reply
from bot.text import cut_line

MORE_WORDS = frozenset({"更多", "更多。", "更多内容", "more", "下一页", "继续"})
MORE_HINT = "……回复「更多」看下一部分"
NO_MORE = "没有更多内容了。请直接提问，或回复「帮助」查看用法。"
CONTINUATION_TTL = 30 * 60  # seconds, like the dialogue context
MAX_USERS = 100_000


class TextTurns:
    """One text channel's turns: the Conversation, its rendering, its page size."""

    def __init__(
        self,
        conversation: Conversation,
        render: Callable[[Reply], str],
        max_bytes: int,
        pages: Continuations | None = None,
    ):
        self.conversation = conversation
        self.render = render
        self.max_bytes = max_bytes
        self.pages = pages if pages is not None else Continuations()
        # A broadcast confirmed here: the channel's way to report on it (it cannot edit).
        self.on_job: Callable[[Message, int], None] | None = None

    async def answer(self, msg: Message) -> str:
        """The text of the reply to one typed message (its first page)."""
        if msg.text.strip().lower() in MORE_WORDS:
            return self.pages.next(msg.user_key) or NO_MORE
        return self._shown(msg, await self.conversation.handle(msg, numbered=True))

    async def press(self, msg: Message, payload: str) -> str:
        """A menu key or another button-like payload."""
        return self._shown(msg, await self.conversation.press(msg, payload, numbered=True))

    def _shown(self, msg: Message, reply: Reply) -> str:
        if reply.job is not None and self.on_job is not None:
            self.on_job(msg, reply.job)
        return self.page(msg.user_key, reply)

    def page(self, user_key: str, reply: Reply) -> str:
        """The first page now; the rest waits for 更多 (a new question replaces it)."""
        pages = paginate(self.render(reply), self.max_bytes)
        self.pages.put(user_key, pages[1:])
        return pages[0]


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

    @contextlib.asynccontextmanager
    async def turn(self, user_key: str):
        """Around one message of this user: here nothing; shared pages load and save."""
        yield
