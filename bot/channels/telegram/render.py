"""Reply -> Telegram messages: escaped HTML, a quote as <blockquote>, inline keyboards, 4096 limit."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import cached_property

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import Button, Reply
from bot.text import cut_line

MAX_TEXT = 4096  # Telegram's limit per message, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
_QUOTE_OPEN, _QUOTE_CLOSE = "<blockquote>", "</blockquote>"


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send: HTML text and, on the last part, the keyboard."""

    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows, none empty

    @cached_property
    def markup(self) -> InlineKeyboardMarkup | None:
        """The keyboard as PTB objects (edits go through PTB's edit_message_text)."""
        return keyboard([list(row) for row in self.buttons])

    @cached_property
    def markup_json(self) -> str | None:
        """The same keyboard as the Bot API's JSON, without building PTB objects and turning
        them back into dicts (~10% of the CPU of a reply)."""
        if not self.buttons:
            return None
        rows = [[{"text": b.label, "callback_data": b.action} for b in row] for row in self.buttons]
        return json.dumps({"inline_keyboard": rows}, ensure_ascii=False, separators=(",", ":"))


def render(reply: Reply, limit: int = MAX_TEXT) -> list[Outgoing]:
    """Split a reply into messages on line boundaries; the keyboard goes on the last one."""
    lines = [(line, False) for line in (reply.text or "").split("\n")]
    if reply.quote:
        lines += [(line, True) for line in reply.quote.strip().split("\n")]
    chunks = _pack(lines, limit)
    rows = _checked(reply.buttons)
    out = [Outgoing(_html(chunk)) for chunk in chunks] or [Outgoing(" ")]
    out[-1] = Outgoing(out[-1].html, rows)
    return out


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from button rows; an action over 64 bytes is a programming error."""
    checked = _checked(rows)
    if not checked:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in checked]
    )


def _checked(rows: list[list[Button]] | None) -> tuple[tuple[Button, ...], ...]:
    for b in (b for row in rows or () for b in row):
        if len(b.action.encode("utf-8")) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback_data over {MAX_CALLBACK_DATA} bytes: {b.action!r}")
    return tuple(tuple(row) for row in rows or () if row)


def units(s: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(s.encode("utf-16-le")) // 2


def _html(chunk: list[tuple[str, bool]]) -> str:
    parts: list[str] = []
    in_quote = False
    for line, quoted in chunk:
        if quoted and not in_quote:
            parts.append(("\n" if parts else "") + _QUOTE_OPEN)
        elif in_quote and not quoted:
            parts.append(_QUOTE_CLOSE + "\n")
        elif parts:
            parts.append("\n")
        in_quote = quoted
        parts.append(html.escape(line, quote=False))
    if in_quote:
        parts.append(_QUOTE_CLOSE)
    return "".join(parts).strip("\n") or " "


_TAGS = len(_QUOTE_OPEN + _QUOTE_CLOSE)


def _cost(line: str, opens_quote: bool) -> int:
    # Escaped length, the newline, and the tags when this line opens a quote: measured as raw
    # HTML, which is stricter than Telegram's count after parsing, so every chunk fits.
    return units(html.escape(line, quote=False)) + 1 + (_TAGS if opens_quote else 0)


def _pieces(line: str, room: int) -> list[str]:
    """Cut a single over-long line into pieces that each fit in `room`."""
    return cut_line(line, room, lambda ch: units(html.escape(ch, quote=False)))


def _pack(lines: list[tuple[str, bool]], limit: int) -> list[list[tuple[str, bool]]]:
    """Greedy: fill each message with whole lines; only a line too long for any message is cut."""
    if not any(quoted for _, quoted in lines):
        # Most replies fit one message: the sum of every line's _cost is the escaped whole
        # (its newlines counted once each) plus one, measured in one call instead of per line.
        whole = "\n".join(line for line, _ in lines)
        if units(html.escape(whole, quote=False)) + 1 <= limit:
            return [lines] if any(text.strip() for text, _ in lines) else []
    chunks: list[list[tuple[str, bool]]] = []
    cur: list[tuple[str, bool]] = []
    used = 0
    for line, quoted in lines:
        room = limit - 1 - (_TAGS if quoted else 0)
        pieces = [line] if _cost(line, False) - 1 <= room else _pieces(line, room)
        for piece in pieces:
            opens = quoted and (not cur or not cur[-1][1])
            cost = _cost(piece, opens)
            if cur and used + cost > limit:
                chunks.append(cur)
                cur, used = [], 0
                cost = _cost(piece, quoted)  # first line of a new message opens its own quote
            cur.append((piece, quoted))
            used += cost
    chunks.append(cur)
    return [c for c in chunks if any(text.strip() for text, _ in c)]
