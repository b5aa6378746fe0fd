"""Channel-neutral types: what adapters hand in (Message) and get back (Reply)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """One resident message, stripped of platform objects."""

    channel: str  # "telegram" | "wechat" | "console"
    user_key: str  # stable per user within the channel, e.g. "tg:123"
    text: str
    chat_key: str = ""  # where a reply or push goes: a Telegram chat id, an OpenID
    role: str = "resident"  # resident | staff | admin (bot.roles, from the config)
    user_name: str = ""  # shown in the audit log and on progress entries
    private: bool = True  # False in a Telegram group: personal data stays out of it

    @property
    def name(self) -> str:
        return self.user_name or self.user_key

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")


@dataclass(frozen=True)
class Alternative:
    project: int
    score: float


@dataclass(frozen=True)
class Route:
    """What the router understood: a project (or None), an intent, how sure it is."""

    project: int | None
    intent: str
    confidence: float
    alternatives: tuple[Alternative, ...] = ()
    inherited: bool = False  # project came from dialogue context, not from the words
    too_long: bool = False
    # Other projects the words also point to, however far behind (a situation that touches
    # 4 and 5: 瘫在床上 + 住院), strongest first; the situation answer names them all.
    related: tuple[int, ...] = ()


@dataclass(frozen=True)
class Button:
    """A next step: `label` is shown, `action` is sent back when chosen (<= 64 bytes)."""

    label: str
    action: str


@dataclass
class Reply:
    """Plain text plus buttons; adapters escape, format and lay out buttons."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)  # rows of buttons
    quote: str | None = None  # verbatim source text, shown as a quotation
    route: Route | None = None
    # The text itself is a numbered list of projects: on text-only channels a typed
    # number picks that project, so no separate numbered options are shown.
    numbers_pick_projects: bool = False
    item: str | None = None  # the project's sub-item the answer was about (kept for follow-ups)
    popup: bool = False  # a short notice about a pressed button (Telegram: an alert), no message
    job: int | None = None  # a broadcast this reply started: the channel may follow its status

    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(frozen=True)
class ProgressNote:
    """One progress entry, from the KB (staff) or from the database (admin /progress)."""

    project: int
    status: str  # 未开始 | 进行中 | 已完成
    percent: int | None
    note: str
    author: str
    on: dt.date
    origin: str = "kb"  # kb | admin
