"""Browse the year's list: every project by category, a category's projects, did-you-mean."""

from __future__ import annotations

from bot import actions
from bot.kb.model import KnowledgeBase
from bot.models import Alternative, Button, Reply


def full_list(kb: KnowledgeBase) -> Reply:
    """The numbered list of all projects, grouped by category."""
    lines = [f"{kb.year.title}（按类别）："]
    for cat, projects in kb.by_category():
        lines.append(f"【{cat}】")
        lines += [f"{p.number}. {p.title}" for p in projects]
    lines.append("发送项目编号（如“第5项”）或直接提问。")
    return Reply("\n".join(lines), category_buttons(kb), numbers_pick_projects=True)


def category_buttons(kb: KnowledgeBase) -> list[list[Button]]:
    buttons = [Button(cat, actions.category(i)) for i, (cat, _) in enumerate(kb.by_category())]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def categories(kb: KnowledgeBase) -> Reply:
    """The category menu, one button per category."""
    return Reply(f"{kb.year.title}，请选择类别：", category_buttons(kb))


def category(kb: KnowledgeBase, index: int) -> Reply:
    """The projects of one category, one button each, and a way back."""
    cats = kb.by_category()
    if not 0 <= index < len(cats):
        return categories(kb)
    name, projects = cats[index]
    rows = [
        [Button(f"{p.number}. {p.title}", actions.answer(p.number, "overview"))] for p in projects
    ]
    rows.append([Button("« 返回类别", actions.CATEGORIES)])
    return Reply(f"【{name}】共{len(projects)}项：", rows)


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
