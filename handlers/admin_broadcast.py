"""Broadcast commands as channel-neutral Replies: draft, preview, confirm, list, cancel."""

from __future__ import annotations

from bot import actions
from bot.broadcast.status import status_text, target_name
from bot.kb.model import KnowledgeBase
from bot.models import Button, Message, Reply
from bot.naming import date_text, find_project, label
from bot.storage.broadcast import Job
from bot.storage.progress import LOCAL_TZ
from handlers.admin import AdminTools

MAX_TEXT = 3500  # a broadcast fits one message with room for the platform's limits
BROADCAST_USAGE = "用法：/broadcast <项目编号|all> <通知内容>\n例：/broadcast 9 万东路本周六通车"


def progress_notice(kb: KnowledgeBase, project: int, status: str, pct, note: str, on) -> str:
    """What subscribers receive about a new progress entry."""
    pct_text = f" {pct}%" if pct is not None else ""
    text = f"【进展通知】{label(kb, project)}\n截至{date_text(on)}：{status}{pct_text}"
    return text + (f"\n{note}" if note else "")


async def notify_progress(tools: AdminTools, msg: Message, entry_id: int) -> Reply:
    """The 通知订阅者 button: a broadcast draft about one progress entry, previewed."""
    e = await tools.progress.get(entry_id)
    if e is None:
        return Reply("找不到这条进展记录。")
    text = progress_notice(tools.kb, e.project, e.status, e.percent, e.note, e.on)
    job_id = await tools.broadcasts.create_draft(
        e.project, text, msg.name, msg.user_key, origin=f"progress:{e.id}"
    )
    return await preview(tools, job_id)


async def draft_broadcast(tools: AdminTools, msg: Message, args: str) -> Reply:
    """/broadcast <项目|all> <text>: a draft and its preview with confirm / cancel buttons."""
    parts = args.split(maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        return Reply(BROADCAST_USAGE)
    target, text = parts[0], parts[1].strip()
    project = None
    if target.lower() not in ("all", "全部"):
        project, why = find_project(tools.kb, target)
        if project is None:
            return Reply(f"{why}\n{BROADCAST_USAGE}")
    if len(text) > MAX_TEXT:
        return Reply(f"通知太长（{len(text)} 字），请控制在 {MAX_TEXT} 字以内。")
    job_id = await tools.broadcasts.create_draft(project, text, msg.name, msg.user_key)
    return await preview(tools, job_id)


def target_of(tools: AdminTools, job: Job) -> str:
    p = tools.kb.project(job.project) if job.project is not None else None
    return target_name(job, p.title if p else None)


async def preview(tools: AdminTools, job_id: int) -> Reply:
    job = await tools.broadcasts.job(job_id)
    recipients = await tools.subscriptions.recipients(job.project)
    if not recipients:
        await tools.broadcasts.discard(job_id)
        return Reply(f"{target_of(tools, job)}目前没有订阅者，无需发送。")
    split, reach = await _reach_by_channel(tools, recipients)
    whom = "订阅了该项目或全部项目的居民" if job.project is not None else "所有订阅者"
    text = (
        f"广播预览 #{job.id}\n对象：{target_of(tools, job)}（{whom}）\n"
        f"收件人：{len(recipients)} 人（{split}）\n{reach}————\n{job.text}\n————\n确认发送吗？"
    )
    return Reply(
        text,
        [
            [
                Button("确认发送", actions.admin("go", job.id)),
                Button("取消", actions.admin("no", job.id)),
            ]
        ],
    )


async def _reach_by_channel(tools: AdminTools, recipients) -> tuple[str, str]:
    """('Telegram 2，微信 3', '现在可送达：Telegram 2，微信 1（另 2 人…）'): per channel, how
    many subscribe and how many a push reaches now (WeChat: the 48-hour window and quota)."""
    per: dict[str, list[tuple[str, str]]] = {}
    for user_key, channel, chat_id in recipients:
        per.setdefault(channel, []).append((user_key, chat_id))
    senders = tools.engine.senders if tools.engine else {}
    counts, reach, missed = [], [], []
    for channel, rows in sorted(per.items()):
        name = tools.channel_labels.get(channel, channel)
        sender = senders.get(channel)
        n = await sender.reachable(rows) if sender is not None else 0
        counts.append(f"{name} {len(rows)}" + ("" if sender else "（无法推送，将跳过）"))
        reach.append(f"{name} {n}")
        if sender is not None and n < len(rows):
            missed.append(f"另 {len(rows) - n} 人现在无法通过{name}送达")
    if not missed:
        return "，".join(counts), ""
    return "，".join(counts), f"现在可送达：{'，'.join(reach)}（{'；'.join(missed)}，将列入报告）\n"


async def confirm(tools: AdminTools, msg: Message, job_id: int) -> tuple[Reply, int | None]:
    """确认发送: fill the outbox once and start sending; the reply is the first status."""
    job = await tools.broadcasts.job(job_id)
    if job is None:
        return Reply("找不到这个广播。"), None
    recipients = await tools.subscriptions.recipients(job.project)
    audit = await tools.audit.entry(
        msg.user_key, "broadcast", f"#{job_id} {target_of(tools, job)}：{job.text[:80]}",
        count=len(recipients), who_name=msg.name,
    )  # fmt: skip
    if not await tools.broadcasts.confirm(job_id, recipients, also=[audit]):
        state = {"discarded": "已取消", "draft": "未确认"}.get(job.state, "已在发送或已发送")
        return Reply(f"广播 #{job_id} {state}，不会重复发送。"), None
    if tools.engine is not None:
        tools.engine.start(job_id)
    job = await tools.broadcasts.job(job_id)
    counts = await tools.broadcasts.counts(job_id)
    return Reply(status_text(job, counts, target_of(tools, job))), job_id


async def discard(tools: AdminTools, msg: Message, job_id: int) -> Reply:
    """取消 on a preview: nothing is sent."""
    if await tools.broadcasts.discard(job_id):
        return Reply(f"已取消广播 #{job_id}，没有发送。")
    return Reply(f"广播 #{job_id} 已不是待确认状态。")


async def list_broadcasts(tools: AdminTools) -> Reply:
    """/broadcasts: recent jobs with their delivery counts."""
    jobs = await tools.broadcasts.recent_jobs(10)
    if not jobs:
        return Reply("还没有广播。")
    lines = []
    for j in jobs:
        c = await tools.broadcasts.counts(j.id)
        state = {
            "queued": "排队",
            "running": "发送中",
            "done": "完毕",
            "cancelled": "已取消",
            "discarded": "未发送",
        }.get(j.state, j.state)
        when = j.created_at
        lines.append(
            f"#{j.id} {when.astimezone(LOCAL_TZ):%m-%d %H:%M} {target_of(tools, j)} {state} "
            f"送达 {c['sent']}/{j.total}（{j.author}）"
        )
    return Reply("最近的广播：\n" + "\n".join(lines) + "\n停止：/cancel_broadcast <编号>")


async def cancel_broadcast(tools: AdminTools, msg: Message, args: str) -> Reply:
    """/cancel_broadcast <id>: stop a job; what was sent stays sent."""
    word = args.strip().lstrip("#")
    if not word.isdigit():
        return Reply("用法：/cancel_broadcast <广播编号>（见 /broadcasts）")
    job_id = int(word)
    if tools.engine is not None:
        ok = await tools.engine.cancel(job_id)
    else:
        ok = await tools.broadcasts.cancel(job_id)
    if not ok:
        return Reply(f"广播 #{job_id} 不在发送中，无需停止。")
    counts = await tools.broadcasts.counts(job_id)
    await tools.audit.record(
        msg.user_key, "cancel_broadcast", f"#{job_id}", count=counts["cancelled"], who_name=msg.name
    )
    return Reply(f"已停止广播 #{job_id}：已送达 {counts['sent']}，未发 {counts['cancelled']}。")
