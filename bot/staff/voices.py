"""What residents told us besides questions: 有用/没用 per project, and suggestions by topic."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.intents import LABELS as INTENT_NAMES
from bot.kb.model import KnowledgeBase
from bot.storage.feedback import Feedback, Suggestion
from bot.storage.progress import local_date

OTHER_TOPIC = "其他（没有对应的项目）"


@dataclass(frozen=True)
class Helpfulness:
    project: int
    title: str
    helpful: int
    unhelpful: int

    @property
    def rate(self) -> float:
        total = self.helpful + self.unhelpful
        return self.helpful / total if total else 0.0


def _title(kb: KnowledgeBase, n: int) -> str:
    p = kb.project(n)
    return p.title if p else "（本年度清单没有这一项）"


def helpfulness(feedback: list[Feedback], kb: KnowledgeBase) -> list[Helpfulness]:
    """Per project, the most 没用 first."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for f in feedback:
        counts[f.project][0 if f.helpful else 1] += 1
    rows = [Helpfulness(n, _title(kb, n), yes, no) for n, (yes, no) in counts.items()]
    return sorted(rows, key=lambda h: (-h.unhelpful, h.rate, h.project))


def unhelpful(feedback: list[Feedback]) -> list[Feedback]:
    """The 没用 answers whose question was typed (newest first): what to improve."""
    return sorted((f for f in feedback if not f.helpful and f.question), key=lambda f: f.at)[::-1]


def by_topic(items: list[Suggestion], kb: KnowledgeBase) -> list[tuple[str, list[Suggestion]]]:
    """Suggestions grouped by the project they name, the most suggested topic first."""
    groups: dict[str, list[Suggestion]] = defaultdict(list)
    for s in items:
        topic = f"第{s.project}项 {_title(kb, s.project)}" if s.project else OTHER_TOPIC
        groups[topic].append(s)
    return sorted(
        groups.items(), key=lambda kv: (-len(kv[1]), kv[0] == OTHER_TOPIC, kv[1][0].project or 0)
    )


def helpfulness_lines(rows: list[Helpfulness], bad: list[Feedback], limit: int = 10) -> list[str]:
    lines = ["回答是否有用（有用 / 没用）："]
    lines += [f"  第{h.project}项 {h.title}  {h.helpful} / {h.unhelpful}" for h in rows] or [
        "  （无）"
    ]
    if bad:
        lines.append("居民说“没用”的问题：")
        lines += [
            f"  第{f.project}项 {INTENT_NAMES.get(f.intent, f.intent)}：{f.question}"
            for f in bad[:limit]
        ]
    return lines


def suggestion_lines(groups: list[tuple[str, list[Suggestion]]]) -> list[str]:
    if not groups:
        return ["居民建议：（无）"]
    lines = [f"居民建议（{sum(len(v) for _, v in groups)} 条，按主题）："]
    for topic, items in groups:
        lines.append(f"  【{topic}】{len(items)} 条")
        lines += [f"    {local_date(s.at):%m-%d} {s.text}" for s in items]  # the day in China
    return lines
