"""Pieces every answer shares: headers, the hotline pointer, follow-up buttons, dates."""

from __future__ import annotations

from bot import actions
from bot.intents import FOLLOW_UPS
from bot.kb.model import KnowledgeBase
from bot.kb.schema import Project
from bot.models import Button
from bot.naming import date_text

NOT_STATED = "原文未说明"


def hotline(kb: KnowledgeBase) -> str:
    h = kb.year.hotline
    return f"{h.name}（{h.number}）"


def ask_hotline(kb: KnowledgeBase) -> str:
    return f"详情请拨打{hotline(kb)}咨询。"


def header(p: Project) -> str:
    return f"【第{p.number}项 {p.title}】"


format_date = date_text  # the KB's dates, worded as every other date


def follow_up_buttons(p: Project, current: str | None) -> list[list[Button]]:
    """Next steps about the same project, minus the one just answered."""
    row = [
        Button(label, actions.answer(p.number, intent))
        for intent, label in FOLLOW_UPS
        if intent != current
    ]
    row.append(Button("查看原文", actions.source(p.number)))
    return [row[:3], row[3:]]


def bullet(lines) -> str:
    return "\n".join(f"· {x}" for x in lines)
