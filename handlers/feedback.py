"""有用 / 没用 after answers: offered once per project in a conversation, stored anonymously."""

from __future__ import annotations

import logging

from bot import actions
from bot.context import Context
from bot.intents import PROJECT_INTENTS
from bot.models import Button, Message, Reply
from bot.services import Services
from handlers import handoff

log = logging.getLogger(__name__)

MAX_BUTTONS = 5  # old eyes, small screens: the answer's own buttons make room
KEEP_FIRST = ("apply", "benefit", "eligibility", "deadline", "progress", "overview")
THANKS = "谢谢您的反馈！还有问题随时问我。"
SORRY = "抱歉没能帮上忙，已记下这条回答，工作人员会改进。"


def offer(ctx: Context, reply: Reply, project: int, intent: str) -> Reply:
    """Add the 有用/没用 row unless this project was already offered in this conversation."""
    if project in ctx.rated:
        return reply
    ctx.rated = [*ctx.rated, project]
    row = [
        Button("有用", actions.feedback(project, intent, True)),
        Button("没用", actions.feedback(project, intent, False)),
    ]
    flat, room = reply.flat_buttons(), MAX_BUTTONS - len(row)
    if len(flat) <= room:  # all fit: nothing to choose
        keep = flat
    else:
        ranked = sorted(flat, key=lambda b: _rank(b, intent))
        chosen = {id(b) for b in ranked[:room]}
        keep = [b for b in flat if id(b) in chosen]  # in the answer's own order
    reply.buttons = [keep, row] if keep else [row]
    return reply


def offer_once(services: Services, user_key: str, reply: Reply, project: int, intent: str) -> None:
    """offer(), with the conversation's memory of what was offered; off by config."""
    if services.feedback_buttons:
        ctx = services.contexts.get(user_key)
        offer(ctx, reply, project, intent)
        services.contexts.put(user_key, ctx)


def _rank(b: Button, intent: str) -> int:
    """What stays when the answer makes room: the source quote (how a resident checks us),
    subscribe after a progress answer, then the most asked-for follow-ups (怎么办, 待遇)."""
    if b.action.startswith("src:"):
        return 0
    if b.action.startswith("sub:"):
        return 1 if intent == "progress" else 50
    if b.action.startswith("a:"):
        act = actions.decode(b.action)  # a:7:apply or a:7:apply:0 (a sub-item's)
        follow = act.word if act else ""
        return 2 + KEEP_FIRST.index(follow) if follow in KEEP_FIRST else 40
    return 60  # 全部项目 and the like: the menu reaches them too


def parse(payload: str) -> tuple[int, str, bool] | None:
    """'5:benefit:1' -> (5, 'benefit', True); None when it is not a feedback payload."""
    parts = payload.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in PROJECT_INTENTS:
        return None
    if parts[2] not in ("0", "1"):
        return None
    return int(parts[0]), parts[1], parts[2] == "1"


async def rate(services: Services, msg: Message, ctx: Context, payload: str) -> Reply | None:
    """Store a 有用/没用 (project, intent, the question if it was typed; never the user)."""
    parsed = parse(payload)
    if parsed is None:
        return None
    project, intent, helpful = parsed
    question = next((t for t, p in reversed(ctx.asked) if p == project), None)
    if services.feedback is not None:
        try:
            await services.feedback.add_feedback(msg.channel, project, intent, helpful, question)
        except Exception:  # a lost judgement must not cost the resident a reply
            log.exception("feedback could not be stored")
    if helpful:
        return Reply(THANKS, handoff.MENU)
    kb = services.kb.kb
    return Reply(f"{SORRY}\n{handoff.offer(kb, services.handoff, ctx.asked)}", handoff.MENU)
