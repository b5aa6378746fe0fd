"""What every text-only channel shares (WeChat, the console, later others): buttons become
numbered options typed back as numbers, replies are cut into pages within a byte budget, and
更多 shows the next page.

`TextTurns.answer` is the whole turn: 更多 shows the next page; a number picks one of the last
reply's options; anything else goes to the Conversation. Every reply shown remembers its
options (pending, per user) and its remaining pages.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from bot import regexcache
from bot.context import NO_TURN
from bot.conversation import Conversation
from bot.models import Button, Message, Reply
from bot.text import cut_line

MORE_WORDS = frozenset({"更多", "更多。", "更多内容", "more", "下一页", "继续"})
MORE_HINT = "……回复「更多」看下一部分"
NO_MORE = "没有更多内容了。请直接提问，或回复「帮助」查看用法。"
CONTINUATION_TTL = 8 * 60  # seconds, like the dialogue context
MAX_USERS = 100_000
_OPTION = regexcache.compile(r"\s*(\d{1,2})\s*")


class TextTurns:
    """One text channel's turns: the Conversation, its rendering, its page size."""

    def __init__(
        self,
        conversation: Conversation,
        render: Callable[[Reply], str],
        max_bytes: int,
        pages: Continuations | None = None,
        options: PendingOptions | None = None,
    ):
        self.conversation = conversation
        self.render = render
        self.max_bytes = max_bytes
        self.pages = pages if pages is not None else Continuations()
        self.options = options if options is not None else PendingOptions()
        if conversation.commands is not None:  # /forget and unfollow clear this memory too
            conversation.commands.forgetters.append(self.forget)
        # A broadcast confirmed here: the channel's way to report on it (it cannot edit).
        self.on_job: Callable[[Message, int], None] | None = None

    async def answer(self, msg: Message) -> str:
        """The text of the reply to one typed message (its first page)."""
        if msg.text.strip().lower() in MORE_WORDS:
            return self.pages.next(msg.user_key) or NO_MORE
        payload = self.options.pick(msg.user_key, msg.text)
        if payload is not None:
            return await self.press(msg, payload)
        return self.show(msg, await self.conversation.handle(msg))

    async def press(self, msg: Message, payload: str) -> str:
        """A menu key, or an option picked by its number."""
        return self.show(msg, await self.conversation.press(msg, payload))

    def show(self, msg: Message, reply: Reply) -> str:
        """The first page now; its options and the rest of its pages wait for the next turn."""
        if reply.job is not None and self.on_job is not None:
            self.on_job(msg, reply.job)
        # A numbered list of projects (numbers_pick_projects) has no options: a typed number
        # then names the project itself, which the dialogue reads.
        self.options.put(msg.user_key, [] if reply.numbers_pick_projects else reply.flat_buttons())
        pages = paginate(self.render(reply), self.max_bytes)
        self.pages.put(msg.user_key, pages[1:])
        return pages[0]

    def forget(self, user_key: str) -> None:
        self.pages.forget(user_key)
        self.options.forget(user_key)


class PendingOptions:
    """Per-user payloads of the last reply's options, picked by typing 1, 2, …; they expire."""

    def __init__(self, ttl: float = CONTINUATION_TTL, max_users: int = MAX_USERS):
        self.ttl = ttl
        self.max_users = max_users
        self._data: OrderedDict[str, tuple[list[str], float]] = OrderedDict()

    def put(self, user_key: str, buttons: list[Button]) -> None:
        self._data[user_key] = ([b.action for b in buttons], time.monotonic() + self.ttl)
        self._data.move_to_end(user_key)
        while len(self._data) > self.max_users:
            self._data.popitem(last=False)

    def pick(self, user_key: str, text: str) -> str | None:
        """The payload of option `text` (a number) of this user's last reply, if there is one."""
        m = _OPTION.fullmatch(text or "")
        entry = self._data.get(user_key)
        if not m or entry is None or entry[1] < time.monotonic():
            return None
        k = int(m.group(1))
        return entry[0][k - 1] if 1 <= k <= len(entry[0]) else None

    def forget(self, user_key: str) -> None:
        self._data.pop(user_key, None)

    def turn(self, user_key: str):
        """Around one message of this user: here nothing; shared options load and save."""
        return NO_TURN


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

    def sweep(self, now: float | None = None) -> int:
        """Drop pages nobody asked for in time."""
        now = time.monotonic() if now is None else now
        expired = [k for k, (_, expires) in self._data.items() if expires < now]
        for k in expired:
            del self._data[k]
        if len(expired) > len(self._data):  # a dict never shrinks its table on deletes
            self._data = OrderedDict(self._data)
        return len(expired)

    def turn(self, user_key: str):
        """Around one message of this user: here nothing; shared pages load and save."""
        return NO_TURN
