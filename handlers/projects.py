"""Answers about one project, one intent at a time, built only from KB facts."""

from __future__ import annotations

from bot import actions
from bot.kb.model import KnowledgeBase
from bot.kb.schema import Project
from bot.models import Button, ProgressNote, Reply
from bot.text import format_number
from handlers.common import (
    NOT_STATED,
    ask_hotline,
    bullet,
    follow_up_buttons,
    format_date,
    header,
)

MAX_ITEMS = 6  # a phone screen: the key facts, then 查看原文 for the rest


def answer(kb: KnowledgeBase, p: Project, intent: str, history: list[ProgressNote]) -> Reply:
    """Build the reply for one project and one of the six project intents."""
    text = _progress(kb, p, history) if intent == "progress" else ANSWERS[intent](kb, p)
    buttons = follow_up_buttons(p, intent)
    buttons.append(
        [Button("订阅进展", actions.subscribe(p.number)), Button("全部项目", actions.LIST)]
    )
    return Reply(f"{header(p)}\n{text}", buttons)


def source_reply(p: Project) -> Reply:
    """Quote the official paragraph verbatim."""
    return Reply(f"{header(p)} 原文：", follow_up_buttons(p, None)[:1], quote=p.source)


def _silent(kb: KnowledgeBase, p: Project, key: str, fallback: str) -> str:
    note = p.todo.get(key) or fallback
    if not note.startswith(NOT_STATED):
        note = f"{NOT_STATED}：{note}"
    return f"{note}\n{ask_hotline(kb)}"


def _overview(kb: KnowledgeBase, p: Project) -> str:
    lines = [p.summary]
    # Targets the summary already states would only repeat it on a small screen.
    extra = [t for t in p.targets if f"{format_number(t.value)}{t.unit}" not in p.summary]
    if extra:
        lines.append(
            "目标：\n"
            + bullet(f"{t.what} {format_number(t.value)}{t.unit}" for t in extra[:MAX_ITEMS])
        )
    named = [pl.name for pl in p.places]
    if named:
        lines.append("地点：" + "、".join(named[:MAX_ITEMS]))
    return "\n".join(lines)


def _listed(kb: KnowledgeBase, p: Project, key: str, heading: str, facts, missing: str) -> str:
    """The facts under a heading, then what the source leaves unsaid; or only that."""
    if not facts:
        return _silent(kb, p, key, missing)
    text = f"{heading}：\n" + bullet(f.text for f in facts[:MAX_ITEMS])
    if key in p.todo:
        text += "\n" + _silent(kb, p, key, "")
    return text


def _benefit(kb: KnowledgeBase, p: Project) -> str:
    return _listed(kb, p, "benefit", "能得到什么", p.benefits, "这一项能得到什么、是否收费。")


def _eligibility(kb: KnowledgeBase, p: Project) -> str:
    return _listed(kb, p, "eligibility", "面向谁", p.eligibility, "谁可以申请、需要什么条件。")


def _apply(kb: KnowledgeBase, p: Project) -> str:
    if not p.apply:
        return _silent(kb, p, "apply", "办理地点、电话和材料。")
    lines = []
    for e in p.apply[:MAX_ITEMS]:
        line = f"{e.name}：{e.text}"
        if e.address:
            line += f" 地址：{e.address}"
        if e.phone:
            line += f" 电话：{e.phone}"
        if e.by and e.on:
            line += f"（{e.on:%Y-%m-%d} 工作人员核实）"
        lines.append(line)
    text = "办理渠道：\n" + bullet(lines)
    if "apply" in p.todo or not any(e.phone for e in p.apply):
        text += "\n" + _silent(kb, p, "apply", "办理电话和地址。")
    return text


def _deadline(kb: KnowledgeBase, p: Project) -> str:
    if not p.dates:
        return _silent(kb, p, "deadline", "具体时间。") + f"\n（本项属于{kb.year.title}。）"
    text = "时间：\n" + bullet(f"{format_date(d.date)}：{d.what}" for d in p.dates[:MAX_ITEMS])
    if "deadline" in p.todo:
        text += "\n" + _silent(kb, p, "deadline", "")
    return text


def _progress(kb: KnowledgeBase, p: Project, history: list[ProgressNote]) -> str:
    if not history:
        return "暂无进展发布。点「订阅进展」，有新进展时通知您。"
    last = history[-1]
    pct = f" {last.percent}%" if last.percent is not None else ""
    text = f"截至{format_date(last.on)}：{last.status}{pct}"
    if last.note:
        text += f"\n{last.note}"
    who = "工作人员" if last.origin == "kb" else "管理员"
    return text + f"\n（{who}{last.author}发布）"


# The answer builder of each project intent (bot.intents) but progress, which reads history.
ANSWERS = {
    "overview": _overview,
    "benefit": _benefit,
    "eligibility": _eligibility,
    "apply": _apply,
    "deadline": _deadline,
}
