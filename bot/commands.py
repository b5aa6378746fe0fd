"""Every slash command once: its role, its arguments and its handler.

Every channel hands `/name args` here (Telegram's command messages; text typed on WeChat or the
console). A command above the sender's role is refused with 无权限 and written to the audit log,
so an admin's /progress on WeChat is an admin's, and a resident's is refused, on every channel.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import actions, regexcache
from bot.dialogue import Dialogue
from bot.models import Button, Message, Reply
from bot.naming import ALL_WORDS, label, number_of
from bot.privacy import FORGOTTEN
from bot.roles import ADMIN, RESIDENT, STAFF, may
from handlers import admin, admin_broadcast, browse, smalltalk, subscriptions

log = logging.getLogger(__name__)

PROJECT_USAGE = "用法：/project 5 或 /project 租房补贴"
# "/progress 9 60%", "／progress …" (a full-width slash from a Chinese keyboard), "/start@minxinbot"
_COMMAND = regexcache.compile(r"^\s*[/／]([A-Za-z_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.S)
_DEEP_LINK = regexcache.compile(r"^p(\d{1,3})$")


@dataclass(frozen=True)
class Command:
    name: str
    role: str  # resident | staff | admin: the least role that may run it
    run: Callable[[Commands, Message, str], Awaitable[Reply]]
    menu: str = ""  # its line in a channel's command menu; "" keeps it out of the menu
    private: bool = False  # touches personal data: not in a group chat


class Commands:
    """The table below, run for one Message at a time."""

    def __init__(self, dialogue: Dialogue, tools: admin.AdminTools, forget_rows):
        self.dialogue = dialogue
        self.services = dialogue.services
        self.tools = tools
        self._forget_rows: Callable[[str], Awaitable[int]] = forget_rows
        self.forgetters: list[Callable[[str], None]] = []  # channels' own memory of a user

    # ---- parsing ---------------------------------------------------------------------------
    @staticmethod
    def parse(text: str) -> tuple[str, str] | None:
        """('progress', '9 60% 万东路主体完工') for a command; None for anything else."""
        m = _COMMAND.match(text or "")
        return (m.group(1).lower(), (m.group(2) or "").strip()) if m else None

    @staticmethod
    def get(name: str) -> Command | None:
        return TABLE.get(name)

    # ---- running ---------------------------------------------------------------------------
    async def run(self, msg: Message) -> Reply:
        """The reply to a command message; an unknown command is answered with help."""
        name, args = self.parse(msg.text) or ("help", "")
        cmd = TABLE.get(name) or TABLE["help"]
        if not may(msg.role, cmd.role):
            return await admin.refuse(self.tools, msg, msg.text.strip())
        return await cmd.run(self, msg, args)

    async def press(self, msg: Message, payload: str) -> Reply:
        """An admin button (adm:…): confirm or discard a broadcast, notify, show history."""
        act = actions.decode(payload)
        if act is None or act.kind != "adm":
            return Reply("", popup=True)
        needed = STAFF if act.word == "hist" else ADMIN
        if not may(msg.role, needed):
            refused = await admin.refuse(self.tools, msg, f"button {payload}")
            return Reply(refused.text, popup=True)
        t = self.tools
        if act.word == "go":
            reply, job_id = await admin_broadcast.confirm(t, msg, act.number)
            if job_id is None:  # pressed twice, or cancelled: say so, nothing more
                return Reply(reply.text, popup=True)
            reply.job = job_id
            return reply
        if act.word == "no":
            return await admin_broadcast.discard(t, msg, act.number)
        if act.word == "notify":
            return await admin_broadcast.notify_progress(t, msg, act.number)
        return await admin.history(t, str(act.number))

    async def forget(self, user_key: str) -> int:
        """Delete everything stored about one user, everywhere; the rows removed."""
        removed = await self._forget_rows(user_key)
        self.services.contexts.forget(user_key)
        for forgetter in self.forgetters:
            forgetter(user_key)
        return removed

    def menu(self) -> list[tuple[str, str]]:
        """(name, description) of the commands residents see in a channel's menu."""
        return [(c.name, c.menu) for c in TABLE.values() if c.menu]


# ---- residents --------------------------------------------------------------------------------
async def _start(c: Commands, msg: Message, args: str) -> Reply:
    """Welcome plus the category menu; `/start p5` (a deep link) opens project 5."""
    kb = c.services.kb.kb
    m = _DEEP_LINK.match(args.split()[0]) if args else None
    if m and kb.project(int(m.group(1))):
        return await c.dialogue.act(msg, actions.answer(int(m.group(1)), "overview"))
    hello, menu = smalltalk.greeting(kb), browse.categories(kb)
    notices = await c.dialogue.notices(msg)  # first contact: what is kept, for how long
    text = "\n".join([hello.text, *notices, menu.text])
    return Reply(text, [*menu.buttons, [Button("使用帮助", actions.HELP)]])


async def _help(c: Commands, msg: Message, args: str) -> Reply:
    """How to use the bot (also the answer to an unknown command)."""
    return await c.dialogue.act(msg, actions.HELP)


async def _list(c: Commands, msg: Message, args: str) -> Reply:
    """The category menu."""
    return await c.dialogue.act(msg, actions.CATEGORIES)


async def _project(c: Commands, msg: Message, args: str) -> Reply:
    """`/project 5` or `/project 租房补贴`: that project's overview."""
    kb = c.services.kb.kb
    kind, n = _project_arg(c, args)
    if kind in ("none", "all"):
        return Reply(PROJECT_USAGE, [[Button("浏览全部项目", actions.LIST)]])
    if kind == "unknown":
        return _not_found(kb, args, n, lambda p: actions.answer(p, "overview"))
    if kb.project(n) is None:
        return Reply(f"没有第{n}项。", [[Button("浏览全部项目", actions.LIST)]])
    return await c.dialogue.act(msg, actions.answer(n, "overview"))


async def _subscribe(c: Commands, msg: Message, args: str) -> Reply:
    """`/subscribe`, `/subscribe 5`, `/subscribe 万东路`, `/subscribe 全部`."""
    kind, n = _project_arg(c, args)
    if kind == "unknown":
        return _not_found(c.services.kb.kb, args, n, actions.subscribe)
    return await subscriptions.subscribe(c.services, msg.user_key, n, ask_first=kind == "none")


async def _unsubscribe(c: Commands, msg: Message, args: str) -> Reply:
    """`/unsubscribe` (all), `/unsubscribe 5`, `/unsubscribe 万东路`."""
    kind, n = _project_arg(c, args)
    if kind == "unknown":  # show what there is to cancel rather than guess
        return await subscriptions.my_subscriptions(c.services, msg.user_key)
    return await subscriptions.unsubscribe(c.services, msg.user_key, n)


async def _mysubs(c: Commands, msg: Message, args: str) -> Reply:
    """The user's subscriptions with a cancel button each."""
    return await c.dialogue.act(msg, actions.MYSUBS)


async def _forget(c: Commands, msg: Message, args: str) -> Reply:
    """Delete everything stored about the user, audit it without naming them, confirm."""
    removed = await c.forget(msg.user_key)
    log.info("forgot a user: %d rows", removed)
    await c.tools.audit.record("居民", "forget", "一位居民删除了自己的数据")
    return Reply(FORGOTTEN)


def _project_arg(c: Commands, words: str) -> tuple[str, int | None]:
    """A command's project: none | all | number | found, or unknown with the router's guess."""
    words = words.strip()
    if not words:
        return "none", None
    if words.lower() in ALL_WORDS:
        return "all", None
    n = number_of(words)
    if n is not None:
        return "number", n
    a = c.services.kb.router.analyse(words)
    r = a.route
    if r.project is not None and not a.unknown_words and not r.too_long:
        return "found", r.project
    return "unknown", r.project  # a subscription is not subscribed on a guess


def _not_found(kb, words: str, guess: int | None, action: Callable[[int], str]) -> Reply:
    """Words that name no project for sure: offer the guess, if any, then the categories."""
    rows = browse.category_buttons(kb)
    if guess is None or kb.project(guess) is None:
        return Reply(f"没找到“{words}”对应的项目。请按类别选择：", rows)
    first = [Button(label(kb, guess), action(guess))]
    return Reply(f"没找到“{words}”对应的项目。您是指这一项吗？或按类别选择：", [first, *rows])


# ---- staff and admins -------------------------------------------------------------------------
async def _progress(c: Commands, msg: Message, args: str) -> Reply:
    return await admin.record_progress(c.tools, msg, args)


async def _history(c: Commands, msg: Message, args: str) -> Reply:
    return await admin.history(c.tools, args)


async def _broadcast(c: Commands, msg: Message, args: str) -> Reply:
    return await admin_broadcast.draft_broadcast(c.tools, msg, args)


async def _broadcasts(c: Commands, msg: Message, args: str) -> Reply:
    return await admin_broadcast.list_broadcasts(c.tools)


async def _cancel_broadcast(c: Commands, msg: Message, args: str) -> Reply:
    return await admin_broadcast.cancel_broadcast(c.tools, msg, args)


async def _audit(c: Commands, msg: Message, args: str) -> Reply:
    return await admin.audit_log(c.tools, args)


async def _reload(c: Commands, msg: Message, args: str) -> Reply:
    return await admin.reload_kb(c.tools, msg)


TABLE: dict[str, Command] = {
    c.name: c
    for c in (
        Command("start", RESIDENT, _start, "开始：按类别浏览民心工程"),
        Command("list", RESIDENT, _list, "全部项目（按类别）"),
        Command("project", RESIDENT, _project, "查看某一项，如 /project 5"),
        Command("subscribe", RESIDENT, _subscribe, "订阅进展，如 /subscribe 万东路", True),
        Command("unsubscribe", RESIDENT, _unsubscribe, "取消订阅", True),
        Command("mysubs", RESIDENT, _mysubs, "我的订阅", True),
        Command("help", RESIDENT, _help, "使用帮助"),
        Command("forget", RESIDENT, _forget, "删除我的全部数据", True),
        Command("history", STAFF, _history),
        Command("reload", STAFF, _reload),
        Command("progress", ADMIN, _progress),
        Command("broadcast", ADMIN, _broadcast),
        Command("broadcasts", ADMIN, _broadcasts),
        Command("cancel_broadcast", ADMIN, _cancel_broadcast),
        Command("audit", ADMIN, _audit),
    )
}
