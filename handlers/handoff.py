"""Hand-off to a person: 12345 (and the office's own line or form) with a summary to copy."""

from __future__ import annotations

from bot import regexcache
from bot.context import Context
from bot.handoff_config import HandoffConfig
from bot.kb.model import KnowledgeBase
from bot.models import Button, Reply
from handlers.common import hotline

MAX_ASKED = 3  # questions the summary recalls
SUMMARY_CHARS = 100
MENU = [[Button("浏览全部项目", "list"), Button("使用帮助", "help")]]
# A person is asked for, whatever project the words also name (我要投诉万东路施工扰民).
_WANTS_PERSON = regexcache.compile(r"投诉|举报|转人工|人工客服|人工服务|找人工")
_BARE = regexcache.compile(r"[\s，。！？!?、,.]+")


def remember(ctx: Context, text: str, project: int | None) -> None:
    """Keep the (already redacted) question and its project for a summary or a 没用."""
    text = _BARE.sub(" ", text).strip()
    if text:
        kept = [(t, p) for t, p in ctx.asked if t != text]
        ctx.asked = [*kept, (text, project)][-MAX_ASKED:]


def wants_person(text: str) -> bool:
    return bool(_WANTS_PERSON.search(text or ""))


def bare(text: str) -> bool:
    """转人工 / 我要投诉 alone: nothing worth recalling in a summary."""
    return len(_BARE.sub("", text)) <= 4


def summary(asked: list[tuple[str, int | None]]) -> str:
    """One line a resident can copy to the hotline: what they asked, newest last."""
    if not asked:
        return ""
    line = "我想咨询：" + "；".join(t for t, _ in asked)
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"


def offer(kb: KnowledgeBase, settings: HandoffConfig, asked: list[tuple[str, int | None]]) -> str:
    """Where to reach a person, then the summary."""
    lines = [f"需要人工帮助，请拨打{hotline(kb)}。"]
    if settings.phone:
        lines.append(f"也可以拨打：{settings.phone}")
    if settings.url:
        lines.append(f"网上留言：{settings.url}")
    line = summary(asked)
    if line:
        lines += ["打电话时可以直接复制这句话：", line]
    return "\n".join(lines)


def human(kb: KnowledgeBase, settings: HandoffConfig, asked: list[tuple[str, int | None]]) -> Reply:
    """转人工 / 投诉: the bot cannot connect a call; say where a person answers."""
    return Reply("我是自动问答机器人，不能直接转接人工。\n" + offer(kb, settings, asked), MENU)


def count(ctx: Context, answered: bool, out_of_scope: bool, asked_back: bool) -> None:
    """Update the misses in a row: out of scope, or an ask-back the resident did not pick."""
    if answered:
        ctx.misses = 0
    else:  # 怎么申请 (asked back) then 护照怎么办 (not picked, out of scope): two misses
        ctx.misses += int(out_of_scope) + int(ctx.asked_back)
    ctx.asked_back = asked_back


def due(ctx: Context, settings: HandoffConfig) -> bool:
    """Time to offer a person (once: the count starts again)."""
    if ctx.misses >= settings.misses:
        ctx.misses = 0
        return True
    return False


def track(services, user_key: str, route, redacted: str, asked_back: bool) -> None:
    """Count misses in a row and keep the redacted question for a hand-off summary."""
    ctx = services.contexts.get(user_key)
    missed = route.intent == "out_of_scope" and not route.too_long
    count(ctx, answered=not (missed or asked_back), out_of_scope=missed, asked_back=asked_back)
    is_bare = route.intent == "human" and bare(redacted)
    if route.intent not in ("greeting", "help", "list") and not is_bare:
        remember(ctx, redacted, route.project)
    services.contexts.put(user_key, ctx)


def with_offer_if_due(services, user_key: str, route, reply: Reply) -> Reply:
    """After `handoff.misses` misses in a row, the answer ends with where a person answers."""
    ctx = services.contexts.get(user_key)
    if route.intent != "human" and due(ctx, services.handoff):
        reply.text = f"{reply.text}\n{offer(services.kb.kb, services.handoff, ctx.asked)}"
    return reply
