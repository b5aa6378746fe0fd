"""One line per sub-item that may concern a resident (self-check and situations alike): the fact
the source states for their group, and whether a condition must still be confirmed."""

from __future__ import annotations

from bot.kb.model import KnowledgeBase
from bot.kb.schema import Project, SubItem
from bot.perkb import per_kb
from handlers.facts import key_fact, of_item, with_year


def concerned(kb: KnowledgeBase, tags) -> list[tuple[Project, SubItem, list[str]]]:
    """(project, sub-item, its tags among these) for every sub-item serving one of the groups."""
    tags = set(tags)
    return [
        (p, it, [t for t in item_tags if t in tags])
        for p, it, item_tags, tag_set in per_kb(kb, _grouped_items)
        if not tag_set.isdisjoint(tags)
    ]


def _grouped_items(kb: KnowledgeBase) -> list[tuple[Project, SubItem, list[str], frozenset]]:
    """Every sub-item that names a group, in list order, with its tags (once per loaded KB:
    a situation's question walked every project's every item)."""
    return [
        (p, it, tags, frozenset(tags))
        for _, p in sorted(kb.projects.items())
        for it in p.items
        if (tags := [g.tag for g in it.groups])
    ]


def _for_groups(p: Project, it: SubItem, tags: list[str]) -> list[str]:
    """The item's benefits that quote the phrase tying it to one of these groups, in KB order
    (生育保险 for a flexible worker: 支持灵活就业人员参加生育保险…, not only 统筹提高…)."""
    phrases = [g.phrase for g in it.groups if g.tag in tags and g.phrase]
    return [
        b.text
        for b in of_item(p.benefits, it)
        if b.phrase and any(ph in b.phrase or b.phrase in ph for ph in phrases)
    ]


def fact(kb: KnowledgeBase, p: Project, it: SubItem | None, tags: list[str]) -> str:
    """The key fact for these groups, with the list's year: 2023年计划…。"""
    texts = _for_groups(p, it, tags) if it is not None else []
    if len(texts) > 1:  # two of the source's clauses about one sub-item read as its one sentence
        text = "，".join(t.rstrip("。") for t in texts) + "。"
    else:
        text = texts[0] if texts else key_fact(p, it)
    return with_year(text, kb.year.year, plan=True)


def unconfirmed(kb: KnowledgeBase, it: SubItem | None, tags: list[str]) -> str | None:
    """What the source leaves undefined about who qualifies, or None when it is stated.

    The sub-item's own eligibility note first (无障碍改造 "符合条件", 家庭养老床位 申请条件,
    领取失业保险金的条件): the source names no condition a resident could check. Else a group's
    undefined threshold, unless another of their groups qualifies without one (a 低收入 family
    needs no 事实无人抚养 standard for 商业保险)."""
    if it is not None and it.todo.get("eligibility"):
        return it.todo["eligibility"]
    todos = [kb.vocab.groups[t].todo for t in tags if t in kb.vocab.groups]
    if todos and all(todos):
        return todos[0]
    return None


def sections(kb: KnowledgeBase, hits) -> list[str]:
    """The lines for these (project, sub-item, tags), grouped under 可能适用 and 需确认条件."""
    sure, check = [], []
    for p, it, tags in hits:
        text, unsure = line(kb, p, it, tags)
        (check if unsure else sure).append(text)
    return (["可能适用：", *sure] if sure else []) + (["需确认条件：", *check] if check else [])


def line(kb: KnowledgeBase, p: Project, it: SubItem | None, tags: list[str]) -> tuple[str, bool]:
    """(· 第N项 名称：事实（未说明的条件）, whether it needs confirming)."""
    name = it.name if it is not None else p.title
    note = unconfirmed(kb, it, tags)
    text = f"· 第{p.number}项 {name}：{fact(kb, p, it, tags)}"
    return (text + f"（{note}）" if note else text), note is not None
