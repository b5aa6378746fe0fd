"""Admin and staff commands as channel-neutral Replies: progress, broadcasts, audit, reload."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.broadcast import BroadcastEngine
from bot.broadcast.status import status_text, target_name
from bot.kb.model import KnowledgeBase
from bot.models import Button, Reply
from bot.reload import Reloader
from bot.services import Services
from bot.storage.audit import AuditRepo
from bot.storage.broadcast import BroadcastRepo, Job
from bot.storage.progress import LOCAL_TZ, STATUSES, ProgressRepo
from bot.storage.subscriptions import SubscriptionRepo

ADMIN_ONLY = frozenset({"progress", "broadcast", "broadcasts", "cancel_broadcast", "audit"})
STAFF = frozenset({"reload", "history"})  # staff or admins
NO_PERMISSION = "无权限：这个命令只供管理员或工作人员使用。"
MAX_TEXT = 3500  # a broadcast fits one message with room for the platform's limits
CHANNEL_NAMES = {"telegram": "Telegram", "wechat": "微信"}
PROGRESS_USAGE = (
    "用法：/progress <项目编号或名称> <百分比|未开始|进行中|已完成> <说明>\n"
    "例：/progress 9 60% 万东路主体完工"
)
BROADCAST_USAGE = "用法：/broadcast <项目编号|all> <通知内容>\n例：/broadcast 9 万东路本周六通车"


@dataclass(frozen=True)
class Actor:
    """Who issued a command, as the adapter vouches for them."""

    key: str  # tg:123
    name: str
    is_admin: bool = False
    is_staff: bool = False


@dataclass
class AdminTools:
    services: Services
    subscriptions: SubscriptionRepo
    progress: ProgressRepo
    broadcasts: BroadcastRepo
    audit: AuditRepo
    engine: BroadcastEngine | None = None
    reloader: Reloader | None = None

    @property
    def kb(self) -> KnowledgeBase:
        return self.services.kb.kb


def allowed(actor: Actor, command: str) -> bool:
    if command in ADMIN_ONLY:
        return actor.is_admin
    if command in STAFF:
        return actor.is_admin or actor.is_staff
    return True


async def refuse(tools: AdminTools, actor: Actor, attempted: str) -> Reply:
    """Say 无权限 and write the attempt to the audit log."""
    await tools.audit.record(actor.key, "refused", attempted[:200], who_name=actor.name)
    return Reply(NO_PERMISSION)


def find_project(kb: KnowledgeBase, word: str) -> tuple[int | None, str]:
    """A project by number (9, 第9项), title or alias; else None and why."""
    w = word.strip()
    m = re.fullmatch(r"第?(\d{1,3})项?", w)
    if m:
        n = int(m.group(1))
        return (n, "") if kb.project(n) else (None, f"没有第{n}项。")
    hits = [n for n, p in kb.projects.items() if w == p.title or w in p.aliases]
    if not hits:
        hits = [n for n, p in kb.projects.items() if w and w in p.title]
    if len(hits) == 1:
        return hits[0], ""
    if hits:
        names = "、".join(f"{n}（{kb.project(n).title}）" for n in sorted(hits)[:5])
        return None, f"「{w}」对应多个项目：{names}。请用编号。"
    return None, f"找不到项目「{w}」。请用编号 1–{max(kb.projects)}。"


def parse_state(word: str) -> tuple[str | None, int | None]:
    """'60%' -> (进行中, 60); '已完成' -> (已完成, None); '100%' -> (已完成, 100)."""
    w = word.strip().rstrip("%％")
    if w.isdigit():
        pct = int(w)
        if not 0 <= pct <= 100:
            return None, None
        return ("未开始" if pct == 0 else "已完成" if pct == 100 else "进行中"), pct
    aliases = {"完成": "已完成", "完工": "已完成", "开始": "进行中", "在建": "进行中"}
    status = aliases.get(word.strip(), word.strip())
    return (status, None) if status in STATUSES else (None, None)


def _label(kb: KnowledgeBase, n: int) -> str:
    p = kb.project(n)
    return f"第{n}项 {p.title}" if p else f"第{n}项"


def _date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


async def record_progress(tools: AdminTools, actor: Actor, args: str) -> Reply:
    """/progress <项目> <百分比|状态> <说明>: store an entry, offer to notify subscribers."""
    parts = args.split(maxsplit=2)
    if len(parts) < 2:
        return Reply(PROGRESS_USAGE)
    project, why = find_project(tools.kb, parts[0])
    if project is None:
        return Reply(f"{why}\n{PROGRESS_USAGE}")
    status, pct = parse_state(parts[1])
    if status is None:
        return Reply(f"看不懂「{parts[1]}」：请写 0–100 的百分比，或 未开始/进行中/已完成。")
    note = parts[2].strip() if len(parts) > 2 else ""
    if len(note) > 500:
        return Reply("说明太长了，请控制在 500 字以内。")
    e = await tools.progress.add(project, status, pct, note, actor.name, actor.key)
    pct_text = f" {pct}%" if pct is not None else ""
    await tools.audit.record(
        actor.key, "progress", f"{_label(tools.kb, project)} {status}{pct_text} {note}".strip(),
        who_name=actor.name,
    )  # fmt: skip
    text = f"已记录：{_label(tools.kb, project)}\n{status}{pct_text}（{_date(e.on)}）"
    if note:
        text += f"\n说明：{note}"
    text += "\n居民询问进展时会看到这条。"
    return Reply(
        text,
        [[Button("通知订阅者", f"adm:notify:{e.id}"), Button("查看历史", f"adm:hist:{project}")]],
    )


def progress_notice(kb: KnowledgeBase, project: int, status: str, pct, note: str, on) -> str:
    """What subscribers receive about a new progress entry."""
    pct_text = f" {pct}%" if pct is not None else ""
    text = f"【进展通知】{_label(kb, project)}\n截至{_date(on)}：{status}{pct_text}"
    return text + (f"\n{note}" if note else "")


async def notify_progress(tools: AdminTools, actor: Actor, entry_id: int) -> Reply:
    """The 通知订阅者 button: a broadcast draft about one progress entry, previewed."""
    e = await tools.progress.get(entry_id)
    if e is None:
        return Reply("找不到这条进展记录。")
    text = progress_notice(tools.kb, e.project, e.status, e.percent, e.note, e.on)
    job_id = await tools.broadcasts.create_draft(
        e.project, text, actor.name, actor.key, origin=f"progress:{e.id}"
    )
    return await preview(tools, job_id)


async def draft_broadcast(tools: AdminTools, actor: Actor, args: str) -> Reply:
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
    job_id = await tools.broadcasts.create_draft(project, text, actor.name, actor.key)
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
    per: dict[str, int] = {}
    for _, channel, _ in recipients:
        per[channel] = per.get(channel, 0) + 1
    senders = tools.engine.senders if tools.engine else {}
    split = "，".join(
        f"{CHANNEL_NAMES.get(ch, ch)} {n}" + ("" if ch in senders else "（无法推送，将跳过）")
        for ch, n in sorted(per.items())
    )
    whom = "订阅了该项目或全部项目的居民" if job.project is not None else "所有订阅者"
    text = (
        f"广播预览 #{job.id}\n对象：{target_of(tools, job)}（{whom}）\n"
        f"收件人：{len(recipients)} 人（{split}）\n————\n{job.text}\n————\n确认发送吗？"
    )
    return Reply(
        text, [[Button("确认发送", f"adm:go:{job.id}"), Button("取消", f"adm:no:{job.id}")]]
    )


async def confirm(tools: AdminTools, actor: Actor, job_id: int) -> tuple[Reply, int | None]:
    """确认发送: fill the outbox once and start sending; the reply is the first status."""
    job = await tools.broadcasts.job(job_id)
    if job is None:
        return Reply("找不到这个广播。"), None
    recipients = await tools.subscriptions.recipients(job.project)
    if not await tools.broadcasts.confirm(job_id, recipients):
        state = {"discarded": "已取消", "draft": "未确认"}.get(job.state, "已在发送或已发送")
        return Reply(f"广播 #{job_id} {state}，不会重复发送。"), None
    await tools.audit.record(
        actor.key, "broadcast", f"#{job_id} {target_of(tools, job)}：{job.text[:80]}",
        count=len(recipients), who_name=actor.name,
    )  # fmt: skip
    if tools.engine is not None:
        tools.engine.start(job_id)
    job = await tools.broadcasts.job(job_id)
    counts = await tools.broadcasts.counts(job_id)
    return Reply(status_text(job, counts, target_of(tools, job))), job_id


async def discard(tools: AdminTools, actor: Actor, job_id: int) -> Reply:
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
        when = j.created_at.replace(tzinfo=j.created_at.tzinfo or dt.timezone.utc)
        lines.append(
            f"#{j.id} {when.astimezone(LOCAL_TZ):%m-%d %H:%M} {target_of(tools, j)} {state} "
            f"送达 {c['sent']}/{j.total}（{j.author}）"
        )
    return Reply("最近的广播：\n" + "\n".join(lines) + "\n停止：/cancel_broadcast <编号>")


async def cancel_broadcast(tools: AdminTools, actor: Actor, args: str) -> Reply:
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
        actor.key, "cancel_broadcast", f"#{job_id}", count=counts["cancelled"], who_name=actor.name
    )
    return Reply(f"已停止广播 #{job_id}：已送达 {counts['sent']}，未发 {counts['cancelled']}。")


async def history(tools: AdminTools, args: str) -> Reply:
    """/history <项目>: every progress entry, KB and admin, oldest first."""
    if not args.strip():
        return Reply("用法：/history <项目编号或名称>")
    project, why = find_project(tools.kb, args.split()[0])
    if project is None:
        return Reply(why)
    notes = await tools.services.progress_history(project)
    if not notes:
        return Reply(f"{_label(tools.kb, project)}：还没有进展记录。")
    lines = []
    for n in notes[-30:]:
        pct = f" {n.percent}%" if n.percent is not None else ""
        who = "管理员" if n.origin == "admin" else "工作人员"
        lines.append(
            f"{_date(n.on)} {n.status}{pct} {n.note}（{who}{n.author}）".replace("  ", " ")
        )
    return Reply(f"{_label(tools.kb, project)} 进展记录：\n" + "\n".join(lines))


async def audit_log(tools: AdminTools, args: str, most: int = 50) -> Reply:
    """/audit [条数]: the newest audit entries (at most `most`: one chat message)."""
    n = int(args.strip()) if args.strip().isdigit() else 20
    entries = await tools.audit.recent(max(1, min(n, most)))
    if not entries:
        return Reply("审计日志为空。")
    lines = []
    for e in entries:
        at = e.at.replace(tzinfo=e.at.tzinfo or dt.timezone.utc).astimezone(LOCAL_TZ)
        who = f"{e.who_name}({e.who})" if e.who_name else e.who
        count = f" ×{e.count}" if e.count is not None else ""
        lines.append(f"{at:%m-%d %H:%M} {who} {e.action}{count} {e.details}".rstrip())
    return Reply("审计日志（新→旧）：\n" + "\n".join(lines))


async def reload_kb(tools: AdminTools, actor: Actor) -> Reply:
    """/reload: validate the knowledge files again; keep the old KB on any error."""
    if tools.reloader is None:
        return Reply("知识库热加载未启用。")
    result = await tools.reloader.reload()
    await tools.audit.record(
        actor.key, "reload", result.summary(), count=len(result.errors), who_name=actor.name
    )
    return Reply(reload_text(result))


def reload_text(result) -> str:
    """What staff see after a reload, from /reload or the file watcher."""
    changed = f"（改动：{'、'.join(result.changed[:5])}）" if result.changed else ""
    if result.ok:
        return f"知识库已更新{changed}：{result.projects} 个项目，新内容已生效。"
    shown = result.errors[:15]
    more = f"\n……另有 {len(result.errors) - 15} 处" if len(result.errors) > 15 else ""
    return (
        f"知识库未更新{changed}：发现 {len(result.errors)} 处错误，仍在使用旧版本。\n"
        + "\n".join(shown)
        + more
    )
