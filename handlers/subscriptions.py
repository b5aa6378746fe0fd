"""Progress subscriptions: per project or for all projects."""

from __future__ import annotations

from bot import actions
from bot.models import Button, Reply
from bot.naming import label
from bot.services import Services
from handlers.smalltalk import MENU


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
                [Button("订阅全部项目", actions.subscribe(None))],
                [Button("按类别选择项目", actions.CATEGORIES)],
            ],
        )
    if project is not None and kb.project(project) is None:
        return Reply("没有这个项目编号。", [[Button("浏览全部项目", actions.LIST)]])
    added = await services.subscriptions.subscribe(user_key, project)
    name = label(kb, project)
    text = f"已订阅：{name}。有新进展会通知您。" if added else f"您已订阅过：{name}。"
    unsub = Button("取消订阅", actions.unsubscribe(project))
    return Reply(text, [[unsub, Button("我的订阅", actions.MYSUBS)]])


async def unsubscribe(services: Services, user_key: str, project: int | None) -> Reply:
    """Stop one subscription, or all of them."""
    kb = services.kb.kb
    if services.subscriptions is None:
        return Reply("这里没有订阅可以取消。", MENU)
    removed = await services.subscriptions.unsubscribe(user_key, project)
    if not removed:
        return Reply("您没有这项订阅。", [[Button("我的订阅", actions.MYSUBS)]])
    what = "全部订阅" if project is None else label(kb, project)
    return Reply(f"已取消：{what}。不会再收到相关通知。", [[Button("我的订阅", actions.MYSUBS)]])


async def my_subscriptions(services: Services, user_key: str) -> Reply:
    """List what the user is subscribed to, each with an unsubscribe button."""
    kb = services.kb.kb
    if services.subscriptions is None:
        return Reply("这里没有订阅。", MENU)
    subs = await services.subscriptions.subscriptions(user_key)
    if not subs:
        return Reply(
            "您还没有订阅任何项目的进展。", [[Button("订阅全部项目", actions.subscribe(None))]]
        )
    rows = [[Button(f"取消 {label(kb, s)}", actions.unsubscribe(s))] for s in subs]
    return Reply("您的订阅：\n" + "\n".join(f"· {label(kb, s)}" for s in subs), rows)
