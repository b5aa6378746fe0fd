"""`broadcast`: admins without a chat channel send a notice to subscribers on every channel.

    python -m bot broadcast 9 "万东路本周六通车"        preview; confirm with y (or --yes)
    python -m bot broadcast all "明天停水" --yes        every subscriber, no question asked
    python -m bot broadcast status 5 / cancel 5        a job's counts / stop it
The same drafts, previews, audit rows and engine as /broadcast in a chat (bot.app without
receiving); progress is a bar on one line, then the delivery report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot import actions
from bot.app import App
from bot.broadcast import status
from bot.cli.common import author_of, config_of, holder_of
from bot.models import Message
from handlers import admin_broadcast

USAGE = '用法：python -m bot broadcast <项目编号|all> "通知内容" [--yes]；或 broadcast status|cancel <编号>'


def register(sub) -> None:
    p = sub.add_parser("broadcast", help="send a notice to subscribers (preview, then confirm)")
    p.add_argument("target", help="项目编号或名称, all; or status / cancel")
    p.add_argument("text", nargs="?", default="", help="通知内容 (status/cancel: the job id)")
    p.add_argument("--yes", action="store_true", help="send without asking")
    p.add_argument("--by", default=None, help="author in the audit log (default: login name)")
    p.add_argument("--config", default=argparse.SUPPRESS, help="config YAML")
    p.set_defaults(func=run_broadcast)


def run_broadcast(args) -> int:
    if not args.text.strip():
        print(USAGE, file=sys.stderr)
        return 2
    config = config_of(args)
    holder = holder_of(args, config)
    author = author_of(args)
    msg = Message("cli", f"cli:{author}", "", user_name=author, role="admin")
    return asyncio.run(_run(App(config, holder, question_log=False), msg, args))


async def _run(app: App, msg: Message, args) -> int:
    await app.start(receive=False)
    try:
        tools = app.tools
        if args.target in ("status", "cancel"):
            return await _job_command(tools, msg, args.target, args.text)
        preview = await admin_broadcast.draft_broadcast(tools, msg, f"{args.target} {args.text}")
        print(preview.text.removesuffix("确认发送吗？").rstrip())
        if not preview.buttons:  # a usage text, nobody to send to: nothing was drafted
            return 1
        job_id = actions.decode(preview.buttons[0][0].action).number  # 确认发送's job
        if not (args.yes or _confirmed()):
            print((await admin_broadcast.discard(tools, msg, job_id)).text)
            return 1
        reply, job_id = await admin_broadcast.confirm(tools, msg, job_id)
        if job_id is None:
            print(reply.text, file=sys.stderr)
            return 1
        await _follow(app, job_id, reply.text)
        return 0
    finally:
        await app.stop()


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        print("未确认：加 --yes 直接发送。", file=sys.stderr)
        return False
    return input("确认发送吗？[y/N] ").strip().lower() in ("y", "yes", "是")


async def _follow(app: App, job_id: int, first: str) -> None:
    """A bar on one line while it sends (a line per update when not a terminal), then the
    delivery report."""
    tty = sys.stdout.isatty()

    async def edit(text: str) -> None:
        line = text.split("\n")[1] if "\n" in text else text
        print(("\r" if tty else "") + line, end="" if tty else "\n", flush=True)

    async def report(text: str) -> None:
        print(("\n" if tty else "") + text, flush=True)

    await edit(first)  # the status at confirmation: the bar starts here
    job = await app.tools.broadcasts.job(job_id)
    repo, every = app.tools.broadcasts, app.config.broadcast.status_interval
    task = app.tools.engine.task(job_id)
    if app.tools.engine.shared:  # running instances send it too: wait for the job, not our share
        task = asyncio.create_task(status.until_closed(repo, job_id, min(every, 0.5)))
    await status.follow(
        repo,
        job_id,
        task,
        every,
        edit,
        report,
        admin_broadcast.target_of(app.tools, job),
    )


async def _job_command(tools, msg: Message, verb: str, word: str) -> int:
    job_id = word.strip().lstrip("#")
    if not job_id.isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    if verb == "cancel":
        reply = await admin_broadcast.cancel_broadcast(tools, msg, job_id)
        print(reply.text)
        return 0 if reply.text.startswith("已停止") else 1
    job = await tools.broadcasts.job(int(job_id))
    if job is None:
        print(f"没有广播 #{job_id}。", file=sys.stderr)
        return 1
    counts = await tools.broadcasts.counts(job.id)
    target = admin_broadcast.target_of(tools, job)
    done = job.state in ("done", "cancelled")
    text = status.report_text if done else status.status_text
    print(text(job, counts, target))
    return 0
