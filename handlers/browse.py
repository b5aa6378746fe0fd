"""Browse the year's list: every project by category, a category's projects, did-you-mean."""

from __future__ import annotations

import datetime as dt

from bot import actions
from bot.kb.model import KnowledgeBase
from bot.models import Alternative, Button, Reply
from bot.perkb import per_kb
from bot.text import compact
from handlers import asks
from handlers.common import time_preface

# Typed instead of tapped: the words of the source button, and of the list button.
SOURCE_WORDS = ("查看原文", "原文", "看原文", "原文是什么")
LIST_WORDS = ("浏览全部项目", "全部项目", "看全部项目", "都不是看全部项目")


def _categories(kb: KnowledgeBase) -> list:
    """kb.by_category(), once per KB (it sorts every project for every category)."""
    return per_kb(kb, KnowledgeBase.by_category)


def _category_keys(kb: KnowledgeBase) -> dict[str, int]:
    """A category's name as typed (compact) -> its index; the first of equal names wins."""
    keys: dict[str, int] = {}
    for i, (cat, _) in enumerate(_categories(kb)):
        keys.setdefault(compact(cat), i)
    return keys


def full_list(kb: KnowledgeBase, text: str = "", today: dt.date | None = None) -> Reply:
    """The numbered list of all projects, grouped by category (and which year it is)."""
    pre = time_preface(kb, asks.read(text), today or dt.date.today())
    lines = ([pre] if pre else []) + [f"{kb.year.title}（按类别）："]
    for cat, projects in _categories(kb):
        lines.append(f"【{cat}】")
        lines += [f"{p.number}. {p.title}" for p in projects]
    lines.append("发送项目编号（如“第5项”）或直接提问。")
    return Reply("\n".join(lines), category_buttons(kb), numbers_pick_projects=True)


def category_buttons(kb: KnowledgeBase) -> list[list[Button]]:
    buttons = [Button(cat, actions.category(i)) for i, (cat, _) in enumerate(_categories(kb))]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def typed_action(kb: KnowledgeBase, text: str, options, last_project: int | None) -> str | None:
    """The action of a button label or category name typed as a whole message, if it is one."""
    q = compact(text or "")
    if not q:
        return None
    for b in options:
        if compact(b.label) == q:
            return b.action
    index = per_kb(kb, _category_keys).get(q)
    if index is not None:
        return actions.category(index)
    if q in SOURCE_WORDS:
        return actions.source(last_project) if last_project else "src:"
    if q in LIST_WORDS:
        return actions.LIST
    return None


def source_menu(kb: KnowledgeBase) -> Reply:
    """原文 with no project in view: the source has one paragraph per project; ask which."""
    return Reply(
        f"《{kb.year.title}》原文共{len(kb.projects)}段，每项一段。请选择类别，再点项目看原文：",
        category_buttons(kb),
    )


def categories(kb: KnowledgeBase) -> Reply:
    """The category menu, one button per category."""
    return Reply(f"{kb.year.title}，请选择类别：", category_buttons(kb))


def category(kb: KnowledgeBase, index: int) -> Reply:
    """The projects of one category, one button each, and a way back."""
    cats = _categories(kb)
    if not 0 <= index < len(cats):
        return categories(kb)
    name, projects = cats[index]
    rows = [
        [Button(f"{p.number}. {p.title}", actions.answer(p.number, "overview"))] for p in projects
    ]
    rows.append([Button("« 返回类别", actions.CATEGORIES)])
    # The titles are in the text too, for a resident who typed the category's name.
    titles = "、".join(p.title for p in projects)
    return Reply(f"【{name}】共{len(projects)}项：{titles}", rows)


def did_you_mean(kb: KnowledgeBase, alternatives: tuple[Alternative, ...], intent: str) -> Reply:
    """Offer the close candidates instead of guessing between them."""
    rows = []
    for alt in alternatives:
        p = kb.project(alt.project)
        if p:
            rows.append([Button(f"第{p.number}项 {p.title}", actions.answer(p.number, intent))])
    rows.append([Button("都不是，看全部项目", actions.LIST)])
    return Reply("您问的是哪一项？", rows)


def which_project(kb: KnowledgeBase, intent: str) -> Reply:
    """A question without a project: ask which one, by category."""
    return Reply(
        "您问的是哪个项目？请说出项目名称（如“租房补贴怎么申请”），或按类别查找：",
        category_buttons(kb),
    )
