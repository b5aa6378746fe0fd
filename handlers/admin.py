"""Admin and staff commands as channel-neutral Replies: roles, progress, history, audit, reload.

Broadcast commands are in handlers.admin_broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import actions
from bot.broadcast import BroadcastEngine
from bot.kb.model import KnowledgeBase
from bot.models import Button, Message, Reply
from bot.naming import date_text, find_project, label
from bot.reload import Reloader
from bot.services import Services
from bot.storage.audit import AuditRepo
from bot.storage.broadcast import BroadcastRepo
from bot.storage.progress import LOCAL_TZ, STATUSES, ProgressRepo
from bot.storage.subscriptions import SubscriptionRepo

NO_PERMISSION = "无权限：这个命令只供管理员或工作人员使用。"
PROGRESS_USAGE = (
    "用法：/progress <项目编号或名称> <百分比|未开始|进行中|已完成> <说明>\n"
    "例：/progress 9 60% 万东路主体完工"
)


@dataclass
class AdminTools:
    services: Services
    subscriptions: SubscriptionRepo
    progress: ProgressRepo
    broadcasts: BroadcastRepo
    audit: AuditRepo
    engine: BroadcastEngine | None = None
    reloader: Reloader | None = None
    # Each running channel's name as staff read it (Channel.label): {"wechat": "微信"}.
    channel_labels: dict[str, str] = field(default_factory=dict)

    @property
    def kb(self) -> KnowledgeBase:
        return self.services.kb.kb


async def refuse(tools: AdminTools, msg: Message, attempted: str) -> Reply:
    """Say 无权限 and write the attempt to the audit log: which command, not what was written."""
    command = (attempted.split() or [""])[0].split("@")[0][:40]  # /progress, button
    await tools.audit.record(msg.user_key, "refused", command)  # a resident: no name kept
    return Reply(NO_PERMISSION)


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


async def record_progress(tools: AdminTools, msg: Message, args: str) -> Reply:
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
    pct_text = f" {pct}%" if pct is not None else ""
    audit = await tools.audit.entry(
        msg.user_key, "progress", f"{label(tools.kb, project)} {status}{pct_text} {note}".strip(),
        who_name=msg.name,
    )  # fmt: skip
    # One transaction: residents never see an entry whose audit row (and confirmation) is lost.
    # Residents read the author: a name the platform gave, never an id (WeChat gives none).
    e = await tools.progress.add(
        project, status, pct, note, msg.user_name, msg.user_key, also=[audit]
    )
    text = f"已记录：{label(tools.kb, project)}\n{status}{pct_text}（{date_text(e.on)}）"
    if note:
        text += f"\n说明：{note}"
    text += "\n居民询问进展时会看到这条。"
    return Reply(
        text,
        [
            [
                Button("通知订阅者", actions.admin("notify", e.id)),
                Button("查看历史", actions.admin("hist", project)),
            ]
        ],
    )


async def history(tools: AdminTools, args: str) -> Reply:
    """/history <项目>: every progress entry, KB and admin, oldest first."""
    if not args.strip():
        return Reply("用法：/history <项目编号或名称>")
    project, why = find_project(tools.kb, args.split()[0])
    if project is None:
        return Reply(why)
    notes = await tools.services.progress_history(project)
    if not notes:
        return Reply(f"{label(tools.kb, project)}：还没有进展记录。")
    lines = []
    for n in notes[-30:]:
        pct = f" {n.percent}%" if n.percent is not None else ""
        who = "管理员" if n.origin == "admin" else "工作人员"
        lines.append(
            f"{date_text(n.on)} {n.status}{pct} {n.note}（{who}{n.author}）".replace("  ", " ")
        )
    return Reply(f"{label(tools.kb, project)} 进展记录：\n" + "\n".join(lines))


async def audit_log(tools: AdminTools, args: str, most: int = 50) -> Reply:
    """/audit [条数]: the newest audit entries (at most `most`: one chat message)."""
    n = int(args.strip()) if args.strip().isdigit() else 20
    entries = await tools.audit.recent(max(1, min(n, most)))
    if not entries:
        return Reply("审计日志为空。")
    lines = []
    for e in entries:
        at = e.at.astimezone(LOCAL_TZ)
        who = f"{e.who_name}({e.who})" if e.who_name else e.who
        count = f" ×{e.count}" if e.count is not None else ""
        lines.append(f"{at:%m-%d %H:%M} {who} {e.action}{count} {e.details}".rstrip())
    return Reply("审计日志（新→旧）：\n" + "\n".join(lines))


async def reload_kb(tools: AdminTools, msg: Message) -> Reply:
    """/reload: validate the knowledge files again; keep the old KB on any error."""
    if tools.reloader is None:
        return Reply("知识库热加载未启用。")
    result = await tools.reloader.reload()
    await tools.audit.record(
        msg.user_key, "reload", result.summary(), count=len(result.errors), who_name=msg.name
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
