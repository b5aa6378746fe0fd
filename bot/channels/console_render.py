"""The console's text form of a reply, apart from the channel so `ask` imports nothing else."""

from __future__ import annotations

from bot.models import Reply

USER = "local"  # the one person at the terminal; user key console:local


def render(reply: Reply) -> str:
    """Reply -> terminal text: body, quote, then numbered options a user can type."""
    parts = [reply.text]
    if reply.quote:
        parts.append("「" + reply.quote + "」")
    if reply.buttons and not reply.numbers_pick_projects:
        options = reply.flat_buttons()
        parts.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(options, 1)))
        parts.append("（输入编号选择）")
    return "\n".join(parts)
