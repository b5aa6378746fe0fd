"""Residents' suggestions for next year's list (我建议… / 希望明年…): thanked and kept for staff."""

from __future__ import annotations

import logging

from bot import regexcache
from bot.models import Message, Reply
from bot.services import Services
from handlers import handoff

log = logging.getLogger(__name__)

# A suggestion proposes; a complaint or a question goes elsewhere (投诉 -> hand-off).
_PROPOSES = regexcache.compile(
    r"^(我|我们|本人)?(有个|有一个|提个|提一个)?(小)?(建议|提议)"
    r"|(我|我们)?(希望|盼望|期待|期望)(明年|今后|以后|下一年|将来|政府|区里|能|可以|多|增加|把|在)"
    r"|(明年|下一年|今后)(能|可以|应该|最好|要)?(增加|多建|多搞|多修|加上|建|修|开|办|纳入|列入)"
)
_NOT = regexcache.compile(r"投诉|举报|不满意|怎么|如何|吗|多少|哪里|哪儿|什么|？|\?")
THANKS = (
    "谢谢您的建议！已记下，会转给工作人员，作为编制明年民心工程清单的参考。\n"
    "（这不是投诉；需要投诉或反映问题，请说“投诉”或拨打{hotline}。）"
)


def is_suggestion(text: str) -> bool:
    """我建议在小区多装几个充电桩 / 希望明年增加老年食堂 — not 建议怎么提？ nor 我要投诉."""
    t = (text or "").strip()
    return bool(_PROPOSES.search(t)) and not _NOT.search(t)


async def take(services: Services, msg: Message, redacted: str) -> Reply:
    """Store the (redacted) suggestion with the project it names, if any; thank the resident."""
    kb = services.kb.kb
    project = services.kb.router.route(msg.text).project
    if services.feedback is not None:
        try:
            await services.feedback.add_suggestion(msg.channel, redacted, project)
        except Exception:  # a lost suggestion must not cost the resident a reply
            log.exception("suggestion could not be stored")
    return Reply(THANKS.format(hotline=handoff.hotline(kb)), handoff.MENU)
