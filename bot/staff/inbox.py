"""The unanswered inbox: list clusters of a period, accept one into a project file, or dismiss it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.intents import PROJECT_INTENTS
from bot.kb import KnowledgeBase, load_kb
from bot.models import Route
from bot.router import Router
from bot.staff.cluster import Cluster, build_clusters
from bot.staff.yamledit import EditError, add_examples
from bot.storage.db import utcnow
from bot.storage.qlog import QuestionLogRepo

MAX_PHRASES = 10  # wordings added per accepted cluster: the most asked ones


@dataclass
class Inbox:
    since: dt.datetime
    total: int  # questions asked in the period
    unanswered: int
    clusters: list[Cluster]


@dataclass
class Accepted:
    file: Path
    added: list[str]
    # Wordings the router still does not route to (project, intent), with what it says instead.
    misrouted: list[tuple[str, Route]] = field(default_factory=list)


async def load_inbox(
    repo: QuestionLogRepo, router: Router, days: int, now: dt.datetime | None = None
) -> Inbox:
    """Cluster the period's unanswered questions, leaving out wording already decided on."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    questions = [q for q in await repo.questions(since) if not q.selfcheck]  # not questions
    clusters = build_clusters(questions, router, await repo.decisions())
    return Inbox(since, len(questions), sum(q.unanswered for q in questions), clusters)


async def accept(
    repo: QuestionLogRepo,
    kb: KnowledgeBase,
    cluster: Cluster,
    project: int,
    intent: str | None,
    by: str,
    on: dt.date | None = None,
) -> Accepted:
    """Add the cluster's wording to the project's `examples`; undo it if the KB stops loading."""
    p = kb.project(project)
    if p is None:
        raise EditError(f"第{project}项不存在；本年度清单有 {kb.numbers[0]}–{kb.numbers[-1]} 项")
    if intent is not None and intent not in PROJECT_INTENTS:
        raise EditError(f"意图 {intent!r} 不是 {', '.join(PROJECT_INTENTS)} 之一")
    path = kb.files[project]
    before = path.read_bytes()
    phrases = [w.text for w in cluster.wordings[:MAX_PHRASES]]
    on = on or (utcnow() + dt.timedelta(hours=8)).date()  # the date in China
    added = add_examples(path, phrases, by, on, intent)
    result = load_kb(kb.directory, kb.year.year)
    if not result.ok:
        path.write_bytes(before)
        raise EditError(
            f"{path.name}: 收录后知识库无法加载，已恢复原文件："
            + "; ".join(map(str, result.errors[:3]))
        )
    router = Router(result.kb)
    misrouted = []
    for text in phrases:
        r = router.route(text)
        if r.project != project or (intent is not None and r.intent != intent):
            misrouted.append((text, r))
    await repo.decide(cluster.keys, "accepted", by, project)
    return Accepted(path, added, misrouted)


async def dismiss(repo: QuestionLogRepo, cluster: Cluster, by: str) -> None:
    """Hide the cluster's wording from the inbox from now on."""
    await repo.decide(cluster.keys, "dismissed", by)
