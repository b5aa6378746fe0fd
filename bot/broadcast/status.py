"""The admin's view of a job: a status line with a text bar, and the final delivery report."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.storage.broadcast import BroadcastRepo, Job

log = logging.getLogger(__name__)
BAR_WIDTH = 10
ONGOING = ("pending", "sending")


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """▓▓▓░░░░░░░ — how far along, in `width` cells."""
    filled = width if total <= 0 else min(width, done * width // total)
    return "▓" * filled + "░" * (width - filled)


def target_name(job: Job, project_title: str | None = None) -> str:
    if job.project is None:
        return "全部订阅者"
    return f"第{job.project}项 {project_title}" if project_title else f"第{job.project}项"


def duration_text(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s}秒"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}分{s}秒"
    h, m = divmod(m, 60)
    return f"{h}小时{m}分"


def status_text(job: Job, counts: dict[str, int], target: str = "") -> str:
    """已发送 3200/10000 ▓▓▓░░░░░░░ while a job runs."""
    done = job.total - sum(counts.get(s, 0) for s in ONGOING)
    head = f"广播 #{job.id}（{target or target_name(job)}）发送中"
    line = f"已发送 {done}/{job.total} {bar(done, job.total)}"
    extra = [f"{label} {counts[k]}" for k, label in _LABELS if k != "sent" and counts.get(k)]
    return "\n".join([head, line] + (["，".join(extra)] if extra else []))


_LABELS = (
    ("sent", "已送达"),
    ("blocked", "已屏蔽或不存在"),
    ("failed", "失败"),
    ("uncertain", "不确定（重启时正在发送，未重发）"),
    ("skipped", "现在无法送达（超出微信 48 小时窗口，或该渠道不能推送）"),
    ("cancelled", "已取消未发"),
)


def report_text(job: Job, counts: dict[str, int], target: str = "") -> str:
    """The final delivery report: sent / blocked / failed / uncertain / skipped / duration."""
    state = {"done": "发送完毕", "cancelled": "已取消"}.get(job.state, job.state)
    lines = [f"广播 #{job.id}（{target or target_name(job)}）{state}", f"共 {job.total} 人"]
    for key, label in _LABELS:
        if key in ("sent", "blocked", "failed") or counts.get(key):
            lines.append(f"{label} {counts.get(key, 0)}")
    lines.append(f"用时 {duration_text(job.duration())}")
    return "\n".join(lines)


async def until_closed(repo: BroadcastRepo, job_id: int, every: float) -> None:
    """Returns once the job is done or cancelled (several instances: its end is in the
    database, not in this process's share of the work)."""
    while True:
        job = await repo.job(job_id)
        if job is None or job.state in ("done", "cancelled", "discarded"):
            return
        await asyncio.sleep(every)


async def follow(
    repo: BroadcastRepo,
    job_id: int,
    task: asyncio.Task | None,
    interval: float,
    edit: Callable[[str], Awaitable[None]],
    report: Callable[[str], Awaitable[None]],
    target: str = "",
) -> None:
    """Edit the status every `interval` seconds until the job's task ends, then report."""
    last = None
    while task is not None and not task.done():
        await asyncio.wait({task}, timeout=interval)
        job = await repo.job(job_id)
        if job is None or task.done():
            break
        text = status_text(job, await repo.counts(job_id), target)
        if text != last:
            last = text
            try:
                await edit(text)
            except Exception:  # a failed edit must not stop the job or the report
                log.warning("broadcast %s: status edit failed", job_id, exc_info=True)
    job = await repo.job(job_id)
    if job is None or job.state not in ("done", "cancelled"):
        return  # shutting down mid-job: the next start-up resumes and reports
    final = report_text(job, await repo.counts(job_id), target)
    try:
        await edit(final)
    except Exception:
        log.warning("broadcast %s: final status edit failed", job_id, exc_info=True)
    await report(final)
