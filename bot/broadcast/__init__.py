"""Broadcasts: a paced, resumable sender over a per-recipient outbox."""

from bot.broadcast.engine import BroadcastEngine, Sender
from bot.channels.errors import (
    Blocked,
    Moved,
    RateLimited,
    Rejected,
    SendError,
    Transient,
    Unreachable,
)

__all__ = [
    "Blocked",
    "BroadcastEngine",
    "Moved",
    "RateLimited",
    "Rejected",
    "SendError",
    "Sender",
    "Transient",
    "Unreachable",
]
