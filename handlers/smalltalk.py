"""Greeting, help, a human, out of scope, and messages the router cannot read."""

from __future__ import annotations

import datetime as dt

from bot import actions
from bot.kb.model import KnowledgeBase
from bot.models import Button, Reply
from handlers.common import hotline

MENU = [[Button("浏览全部项目", actions.LIST), Button("使用帮助", actions.HELP)]]
EXAMPLES = "例如：“租房补贴怎么申请”“万东路修好了吗”“医保住院最高报多少”。"


def greeting(kb: KnowledgeBase, text: str = "") -> Reply:
    """Hello, thanks, bye."""
    if any(w in text for w in ("谢", "感谢", "thank", "thx")):
        return Reply("不客气！还有问题随时问我。", MENU)
    if any(w in text for w in ("再见", "拜拜", "bye")):
        return Reply("再见！有问题随时来问。", MENU)
    start = [[*MENU[0], Button("看看我能享受哪些", actions.SELFCHECK_AGAIN)]]
    return Reply(f"您好！我是民心通，解答{kb.year.title}的问题。\n{EXAMPLES}", start)


def help_text(kb: KnowledgeBase) -> Reply:
    """How to use the bot."""
    return Reply(
        f"我能回答{kb.year.title}的问题：\n"
        "· 能得到什么（待遇、费用）\n· 谁能申请（条件）\n· 去哪办、找谁\n"
        "· 什么时候开始\n· 进展如何，可订阅进展通知\n"
        f"直接用自己的话提问即可，{EXAMPLES}\n"
        f"找人工或反映问题：请拨打{hotline(kb)}。",
        MENU,
    )


def meta(kb: KnowledgeBase, today: dt.date) -> Reply:
    """What the bot knows: which list and year, from where, and when its files last changed."""
    y = kb.year
    newest = "" if today.year == y.year else "这不是今年的新清单，"
    updated = kb_updated(kb)
    return Reply(
        f"我这里的资料是《{y.title}》（{y.year}年的清单），来自官方公布的原文。"
        f"{newest}我没有更新年份的清单。"
        + (
            f"\n知识库最近更新：{updated.year}年{updated.month}月{updated.day}日。"
            if updated
            else ""
        )
        + f"\n最新政策请拨打{hotline(kb)}咨询。",
        MENU,
    )


def kb_updated(kb: KnowledgeBase) -> dt.date | None:
    """The day the newest knowledge file was last written (the KB has no other clock)."""
    paths = [*kb.files.values(), kb.directory / "vocab.yaml"]
    times = [p.stat().st_mtime for p in paths if p.exists()]
    return dt.date.fromtimestamp(max(times)) if times else None


def human(kb: KnowledgeBase) -> Reply:
    """Point to a person: the 12345 hotline."""
    return Reply(
        f"我是自动问答机器人，不能转接人工。需要人工服务、投诉或反映问题，请拨打{hotline(kb)}。",
        MENU,
    )


def out_of_scope(kb: KnowledgeBase) -> Reply:
    """Say plainly that this is outside the list, and where to ask instead."""
    return Reply(
        f"这个问题不在{kb.year.title}的范围内，我答不了。\n请拨打{hotline(kb)}咨询。",
        MENU,
    )


def left_selfcheck(kb: KnowledgeBase) -> Reply:
    """The resident typed 退出 during the self-check."""
    return Reply("已退出自测。想再测一次，发“我能享受哪些”。", MENU)


def too_long(kb: KnowledgeBase) -> Reply:
    return Reply(f"您的消息太长了，请用一两句话说说您想问什么，{EXAMPLES}", MENU)


def empty(kb: KnowledgeBase) -> Reply:
    return Reply(f"请输入您的问题，{EXAMPLES}", MENU)


def unreadable(kb: KnowledgeBase) -> Reply:
    """Photos, stickers, voice without text: the bot reads text only."""
    return Reply(f"我目前只能读文字消息，请用文字提问，{EXAMPLES}", MENU)
