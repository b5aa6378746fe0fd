"""Progress subscriptions: per project or for all projects."""

from __future__ import annotations

from bot.kb.model import KnowledgeBase
from bot.models import Button, Reply
from bot.services import Services
from handlers.smalltalk import MENU


def _name(kb: KnowledgeBase, project: int | None) -> str:
    if project is None:
        return "全部项目"
    p = kb.project(project)
    return f"第{project}项 {p.title}" if p else f"第{project}项"


async def subscribe(
    services: Services, user_key: str, project: int | None, ask_first: bool = False
) -> Reply:
    """Subscribe to one project's progress, or to all; ask which when unclear."""
    kb = services.kb.kb
    if services.subscriptions is None:
        return Reply("订阅进展需在 Telegram 或微信公众号中使用，这里无法推送通知。", MENU)
    if project is None and ask_first:
        return Reply(
            "订阅哪个项目的进展？",
            [
                [Button("订阅全部项目", "sub:all")],
                [Button("按类别选择项目", "cats")],
            ],
        )
    if project is not None and kb.project(project) is None:
        return Reply("没有这个项目编号。", [[Button("浏览全部项目", "list")]])
    added = await services.subscriptions.subscribe(user_key, project)
    name = _name(kb, project)
    text = f"已订阅：{name}。有新进展会通知您。" if added else f"您已订阅过：{name}。"
    key = "all" if project is None else str(project)
    return Reply(text, [[Button("取消订阅", f"unsub:{key}"), Button("我的订阅", "mysubs")]])


async def unsubscribe(services: Services, user_key: str, project: int | None) -> Reply:
    """Stop one subscription, or all of them."""
    kb = services.kb.kb
    if services.subscriptions is None:
        return Reply("这里没有订阅可以取消。", MENU)
    removed = await services.subscriptions.unsubscribe(user_key, project)
    if not removed:
        return Reply("您没有这项订阅。", [[Button("我的订阅", "mysubs")]])
    what = "全部订阅" if project is None else _name(kb, project)
    return Reply(f"已取消：{what}。不会再收到相关通知。", [[Button("我的订阅", "mysubs")]])


async def my_subscriptions(services: Services, user_key: str) -> Reply:
    """List what the user is subscribed to, each with an unsubscribe button."""
    kb = services.kb.kb
    if services.subscriptions is None:
        return Reply("这里没有订阅。", MENU)
    subs = await services.subscriptions.subscriptions(user_key)
    if not subs:
        return Reply("您还没有订阅任何项目的进展。", [[Button("订阅全部项目", "sub:all")]])
    rows = [[Button(f"取消 {_name(kb, s)}", f"unsub:{'all' if s is None else s}")] for s in subs]
    return Reply("您的订阅：\n" + "\n".join(f"· {_name(kb, s)}" for s in subs), rows)
