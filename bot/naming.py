"""How projects and dates are named to residents, and how a typed "第N项" is read: one place each."""

from __future__ import annotations

import datetime as dt

from bot import regexcache
from bot.kb.model import KnowledgeBase

# "5", "第5项", "第 5 号", "5项": a project by its number.
NUMBERED = regexcache.compile(r"^\s*第?\s*(\d{1,3})\s*[项号]?\s*$")
ALL_WORDS = frozenset({"全部", "所有", "全部项目", "所有项目", "all"})


def label(kb: KnowledgeBase, n: int | None) -> str:
    """第9项 万东路提升改造; None (all projects) is 全部项目."""
    if n is None:
        return "全部项目"
    p = kb.project(n)
    return f"第{n}项 {p.title}" if p else f"第{n}项"


def number_of(text: str) -> int | None:
    """The project number typed as 5 / 第5项 / 第5号; None for anything else."""
    m = NUMBERED.match(text or "")
    return int(m.group(1)) if m else None


def find_project(kb: KnowledgeBase, word: str) -> tuple[int | None, str]:
    """A project by number (9, 第9项), title or alias; else None and why (for admins)."""
    w = word.strip()
    n = number_of(w)
    if n is not None:
        return (n, "") if kb.project(n) else (None, f"没有第{n}项。")
    hits = [n for n, p in kb.projects.items() if w == p.title or w in p.aliases]
    if not hits:
        hits = [n for n, p in kb.projects.items() if w and w in p.title]
    if len(hits) == 1:
        return hits[0], ""
    if hits:
        names = "、".join(f"{n}（{kb.project(n).title}）" for n in sorted(hits)[:5])
        return None, f"「{w}」对应多个项目：{names}。请用编号。"
    return None, f"找不到项目「{w}」。请用编号 1–{max(kb.projects)}。"


def date_text(d: dt.date | str) -> str:
    """2023-07-01 (a date or the KB's '2023-07' / '2023') -> 2023年7月1日 / 2023年7月 / 2023年."""
    if isinstance(d, dt.date):
        return f"{d.year}年{d.month}月{d.day}日"
    parts = [int(x) for x in d.split("-")]
    return "".join(f"{v}{u}" for v, u in zip(parts, "年月日", strict=False))
