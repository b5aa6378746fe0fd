"""What the source leaves unsaid about one point of a sub-item, in the KB's own words."""

from __future__ import annotations

from bot import regexcache
from bot.kb.schema import Project, SubItem

# The point, as the generated note names it when staff wrote no note for it.
ASPECTS = {
    "overview": "具体内容",
    "benefit": "具体内容和标准",
    "eligibility": "具体条件",
    "apply": "办理地点、电话和所需材料",
    "deadline": "具体时间",
    "where": "具体位置",
    "names": "具体名单",
    "count": "具体数量",
    "amount": "具体金额或标准",
    "cost": "是否收费",
    "means": "具体含义",
}
# A project-wide note answers a narrower point only if it speaks of that point.
PROJECT_NOTE = {
    "where": ("overview", regexcache.compile(r"位置|地点|地址|哪")),
    "names": ("overview", regexcache.compile(r"哪|名单|名称|品牌|路名")),
    "amount": ("benefit", regexcache.compile(r"金额|标准|价格|比例|多少")),
    "cost": ("benefit", regexcache.compile(r"收费|免费|出资|价格")),
}


def note(p: Project, item: SubItem | None, key: str) -> str:
    """The sub-item's own todo note, a project note that covers the point, or a plain one."""
    if item is not None and key in item.todo:
        return item.todo[key]
    project_key, speaks = PROJECT_NOTE.get(key, (key, None))
    text = p.todo.get(project_key)
    # A project note speaks for one of several sub-items only if it names that one alone
    # (租房补贴…发放时间); a note naming two (家庭养老床位、红外监测设备) would drift.
    named = [it for it in p.items if _names(it, text or "")]
    mine = item is None or len(p.items) <= 1 or named == [item]
    if text and mine and (speaks is None or speaks.search(text)):
        return text
    name = item.name if item is not None else p.title
    aspect = ASPECTS.get(key, "具体情况")
    return f"原文未说明{name}{'' if aspect.startswith('是否') else '的'}{aspect}。"


def _names(item: SubItem, text: str) -> bool:
    return any(len(w) >= 2 and w in text for w in (item.name, *item.terms))
