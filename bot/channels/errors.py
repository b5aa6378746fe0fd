"""What a channel's sender raises when a push does not go out; the broadcast engine decides what next."""

from __future__ import annotations


class SendError(Exception):
    """A message did not go out."""


class RateLimited(SendError):
    """The platform said: too many requests, wait `seconds` (for every chat)."""

    def __init__(self, seconds: float):
        super().__init__(f"rate limited for {seconds}s")
        self.seconds = seconds


class Blocked(SendError):
    """The user blocked the bot, or the chat no longer exists: stop messaging them."""


class Moved(SendError):
    """The chat has a new id (a group became a supergroup): resend there."""

    def __init__(self, new_chat_id: str):
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = str(new_chat_id)


class Transient(SendError):
    """A network hiccup or server error: worth trying again shortly."""


class Rejected(SendError):
    """The platform refused this message for good (e.g. bad request): do not retry."""


class Unreachable(SendError):
    """This channel cannot push to the user now (e.g. no template configured): skip them."""
