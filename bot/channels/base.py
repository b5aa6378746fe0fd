"""What a channel is: a plug-in that bot.app starts on the shared web server.

A channel turns its platform's messages into Messages, hands them to the Core's Conversation,
and renders the Reply back; for pushes (broadcasts, staff notices) it offers a Sender. It sees
storage and the broadcast desk only through the protocols below, handed in by bot.app, so no
channel imports bot.storage, bot.broadcast or handlers/.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from bot.config import Config
from bot.conversation import Conversation
from bot.models import Message, Reply
from bot.roles import Roles
from bot.services import Services
from bot.web import WebServer

Show = Callable[[str], Awaitable[None]]  # puts one status or report text in front of an admin


class Sender(ABC):
    """Pushes plain text to one chat; raises a bot.channels.errors.SendError when it cannot."""

    rate_per_second: float | None = None  # None: the broadcast section's rate

    @abstractmethod
    async def send(self, chat_id: str, text: str) -> None: ...

    async def reachable(self, recipients: list[tuple[str, str]]) -> int:
        """How many of these (user_key, chat_id) a push would reach now (the admin's preview)."""
        return len(recipients)

    async def open(self) -> None:
        """Connect before the first push (a broadcast run from the command line, say)."""
        return None

    async def close(self) -> None:
        """Release connections."""
        return None


class Store(Protocol):
    """The storage a channel may use."""

    async def touch_user(self, user_key: str, channel: str, chat_id: str) -> None: ...
    def seen(self, user_key: str, channel: str, chat_id: str) -> None: ...  # touch, not awaited
    async def last_seen(self, user_key: str) -> dt.datetime | None: ...
    def dedupe(self, channel: str) -> Any: ...  # the channel's reply memory (WeChat's retries)
    def inbox(self) -> Any: ...  # durable intake: updates stored before acknowledged (Telegram)


class Desk(Protocol):
    """The broadcast desk: keeps an admin's view of a running job current."""

    def follow(self, job_id: int, edit: Show | None, report: Show) -> None: ...
    async def set_status_message(self, job_id: int, chat: str, message: str) -> None: ...


@dataclass
class Core:
    """What bot.app hands every channel."""

    config: Config
    services: Services
    conversation: Conversation
    roles: Roles
    store: Store
    desk: Desk | None = None  # set once the broadcast engine exists
    shared: Any = None  # bot.shared.SharedState when redis.url is set: state all instances share
    extras: dict = field(default_factory=dict)  # for tests: what else is running

    def message(
        self, channel: str, user_id: str, text: str, *, prefix: str, chat: str = "", **kw
    ) -> Message:
        """A Message from `user_id` on `channel`, with the role the config gives them."""
        return Message(
            channel,
            f"{prefix}:{user_id}",
            text,
            chat_key=chat or str(user_id),
            role=self.roles.role(channel, str(user_id)),
            **kw,
        )

    def continuations(self, channel: str):
        """A text channel's pages not yet shown: in Redis when shared, else in memory."""
        if self.shared is None:
            from bot.channels.text import Continuations

            return Continuations()
        from bot.shared.pages import RedisContinuations

        return RedisContinuations(self.shared, channel)

    def pending_options(self, channel: str):
        """A text channel's numbered options awaiting a number: in Redis when shared."""
        if self.shared is None:
            from bot.channels.text import PendingOptions

            return PendingOptions()
        from bot.shared.pages import RedisPendingOptions

        return RedisPendingOptions(self.shared, channel)


class Channel(ABC):
    """One messaging platform. Subclasses set the class attributes and the four methods."""

    name: ClassVar[str]  # its config section and Message.channel: "telegram", "wechat"
    label: ClassVar[str]  # as staff read it in previews and reports: "Telegram", "微信"
    settings_model: ClassVar[type | None] = None  # its config section's pydantic model

    def __init__(self, core: Core, settings: Any):
        self.core = core
        self.settings = settings

    @abstractmethod
    async def start(self, web: WebServer) -> None:
        """Add routes to the shared web server (before it starts) and begin receiving."""

    async def go_live(self) -> None:
        """After the web server is up: e.g. Telegram's setWebhook or polling."""
        return None

    @abstractmethod
    async def stop(self) -> None: ...

    def sender(self) -> Sender | None:
        """How to push to this channel's users; None when it cannot push."""
        return None

    @abstractmethod
    def render(self, reply: Reply) -> Any:
        """A Reply in the platform's form (HTML parts, XML text, terminal lines)."""

    def status_view(self, chat: str, message: str) -> tuple[Show, Show] | None:
        """(edit, report) for a broadcast status message this channel once posted, if it can."""
        return None
