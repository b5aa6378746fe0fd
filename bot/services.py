"""What handlers may use: the serving KB, dialogue context, and the optional stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.context import ContextStore
from bot.handoff_config import HandoffConfig
from bot.kbholder import KBHolder
from bot.models import Message, ProgressNote, Route


class ProgressSource(Protocol):
    async def progress_history(self, project: int) -> list[ProgressNote]: ...


class QuestionLog(Protocol):
    async def record(
        self, msg: Message, route: Route, outcome: str | None = None, *, found: int | None = None
    ) -> None: ...


class FeedbackStore(Protocol):
    async def add_feedback(
        self, channel: str, project: int, intent: str, helpful: bool, question: str | None
    ) -> None: ...
    async def add_suggestion(self, channel: str, text: str, project: int | None) -> None: ...


class SubscriptionStore(Protocol):
    async def subscribe(self, user_key: str, project: int | None) -> bool: ...
    async def unsubscribe(self, user_key: str, project: int | None) -> int: ...
    async def subscriptions(self, user_key: str) -> list[int | None]: ...


@dataclass
class Services:
    kb: KBHolder
    contexts: ContextStore = field(default_factory=ContextStore)
    subscriptions: SubscriptionStore | None = None
    progress: ProgressSource | None = None
    question_log: QuestionLog | None = None
    feedback: FeedbackStore | None = None  # 有用/没用 and suggestions, without user keys
    # The defaults, which need no validating (nor pydantic's validator built for them).
    handoff: HandoffConfig = field(default_factory=HandoffConfig.model_construct)
    privacy_notices: bool = True
    feedback_buttons: bool = True
    # Delete everything about a user (删除我的记录 typed on any channel); set by the runner.
    forget: Callable[[str], Awaitable[int]] | None = None
    # Per-user caches the periodic memory sweep visits (bot.sweep); channels add theirs.
    caches: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.caches.append(self.contexts)

    # Today's date, for wording (已执行, 今年): the real date in production, fixed in tests.
    today: Callable[[], dt.date] = dt.date.today

    async def progress_history(self, project: int) -> list[ProgressNote]:
        """KB entries and admin entries together, oldest first."""
        p = self.kb.kb.project(project)
        notes = [
            ProgressNote(project, e.status, e.percent, e.note, e.by, e.on, "kb")
            for e in (p.progress if p else [])
        ]
        if self.progress is not None:
            notes += await self.progress.progress_history(project)
        return sorted(notes, key=lambda n: n.on)
