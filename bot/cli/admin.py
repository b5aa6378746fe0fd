"""`progress` (record a progress entry, as /progress does) and `audit` (the newest audit entries)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli.common import author_of, config_of, holder_of
from bot.models import Message
from bot.services import Services
from bot.storage import Database
from bot.storage.audit import AuditRepo
from bot.storage.broadcast import BroadcastRepo
from bot.storage.progress import ProgressRepo
from bot.storage.subscriptions import SubscriptionRepo
from handlers import admin


def register(sub) -> None:
    p = sub.add_parser("progress", help="record a project's progress (residents see it dated)")
    p.add_argument("project", help="项目编号或名称, e.g. 9 or 万东路")
    p.add_argument("state", help="百分比 (60%%) or 未开始 / 进行中 / 已完成")
    p.add_argument("note", nargs="*", help="说明")
    p.add_argument("--by", default=None, help="author shown to residents (default: login name)")
    _common(p)
    p.set_defaults(func=run_progress)

    a = sub.add_parser("audit", help="the newest audit-log entries (who did what, to how many)")
    a.add_argument("--limit", type=int, default=20)
    _common(a)
    a.set_defaults(func=run_audit)


def _common(p) -> None:
    # Accepted after the command too; SUPPRESS keeps a value given before it.
    p.add_argument("--config", default=argparse.SUPPRESS, help="config YAML")


def run_progress(args) -> int:
    config = config_of(args)
    holder = holder_of(args, config)
    author = author_of(args)
    actor = Message("cli", f"cli:{author}", "", user_name=author, role="admin")
    words = f"{args.project} {args.state} {' '.join(args.note)}".strip()

    async def go() -> tuple[bool, str]:
        db = Database(config.database.url)
        await db.start()
        try:
            tools = admin.AdminTools(
                services=Services(holder),
                subscriptions=SubscriptionRepo(db),
                progress=ProgressRepo(db),
                broadcasts=BroadcastRepo(db),
                audit=AuditRepo(db, config.hmac_secret),
            )
            reply = await admin.record_progress(tools, actor, words)
            return bool(reply.buttons), reply.text  # buttons are offered only once recorded
        finally:
            await db.close()

    ok, text = asyncio.run(go())
    if not ok:
        print(text, file=sys.stderr)
        return 1
    print(text)
    print(
        '要通知订阅者：python -m bot broadcast <项目> "通知内容"，或在管理员对话里发送 /broadcast。'
    )
    return 0


def run_audit(args) -> int:
    config = config_of(args)

    async def go() -> str:
        db = Database(config.database.url)
        await db.start()
        try:
            tools = admin.AdminTools(
                services=None,  # the audit log needs no knowledge base
                subscriptions=SubscriptionRepo(db),
                progress=ProgressRepo(db),
                broadcasts=BroadcastRepo(db),
                audit=AuditRepo(db, config.hmac_secret),
            )
            return (await admin.audit_log(tools, str(args.limit), most=100_000)).text
        finally:
            await db.close()

    print(asyncio.run(go()))
    return 0
