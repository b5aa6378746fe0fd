"""Reply -> WeChat text: numbered options instead of buttons (pages: bot.channels.text)."""

from __future__ import annotations

from bot.channels.text import MORE_HINT, MORE_WORDS, Continuations, paginate
from bot.models import Reply

__all__ = ["MORE_HINT", "MORE_WORDS", "Continuations", "paginate", "render"]


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
