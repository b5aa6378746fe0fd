"""Question statistics of a period: per day, per project, per intent, answer rate, top clusters."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from bot.intents import LABELS
from bot.kb.model import KnowledgeBase
from bot.router import Router
from bot.staff import voices
from bot.staff.cluster import Cluster, build_clusters
from bot.staff.voices import Helpfulness
from bot.storage.db import utcnow
from bot.storage.feedback import Feedback, FeedbackRepo, Suggestion
from bot.storage.progress import LOCAL_TZ, local_date
from bot.storage.qlog import LoggedQuestion, QuestionLogRepo

# Staff read days as they are in China, whatever the server's zone.
INTENT_NAMES = LABELS  # how staff read intents: bot.intents


@dataclass
class Day:
    date: dt.date
    answered: int = 0
    unanswered: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.unanswered


@dataclass
class Stats:
    first: dt.date
    last: dt.date
    total: int
    users: int
    answered: int
    days: list[Day]
    projects: list[tuple[int, str, int]]  # (number, title, questions) most asked first
    intents: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    clusters: list[Cluster] = field(default_factory=list)
    # 有用/没用 per project, the 没用 answers' questions, suggestions by topic (issue 17)
    helpfulness: list[Helpfulness] = field(default_factory=list)
    unhelpful: list[Feedback] = field(default_factory=list)
    suggestions: list[tuple[str, list[Suggestion]]] = field(default_factory=list)
    # Finished self-checks (我能享受哪些), not questions: how many projects each one found.
    selfchecks: list[int] = field(default_factory=list)

    @property
    def selfcheck_line(self) -> str:
        """自测 N 次，平均找到 x 个项目，一个也没找到的 k 次."""
        if not self.selfchecks:
            return "自测 0 次"
        mean = sum(self.selfchecks) / len(self.selfchecks)
        none = sum(1 for n in self.selfchecks if n == 0)
        return (
            f"自测 {len(self.selfchecks)} 次，平均找到 {mean:.1f} 个项目，一个也没找到的 {none} 次"
        )

    @property
    def answer_rate(self) -> float:
        return self.answered / self.total if self.total else 0.0


def compute(
    questions: list[LoggedQuestion],
    kb: KnowledgeBase,
    router: Router,
    first: dt.date,
    last: dt.date,
    decided: dict[str, str] | None = None,
    top: int = 10,
) -> Stats:
    """Aggregate the questions of [first, last] (local dates); every day appears, empty or not."""
    days = {
        first + dt.timedelta(days=i): Day(first + dt.timedelta(days=i))
        for i in range((last - first).days + 1)
    }
    per_project: Counter = Counter()
    # A self-check is neither answered nor unanswered: counted apart, never clustered.
    checks = [q for q in questions if q.selfcheck and local_date(q.asked_at) in days]
    questions = [q for q in questions if not q.selfcheck]
    for q in questions:
        day = days.get(local_date(q.asked_at))
        if day is None:
            continue
        if q.unanswered:
            day.unanswered += 1
        else:
            day.answered += 1
        if q.project is not None:
            per_project[q.project] += 1
    counted = [q for q in questions if local_date(q.asked_at) in days]
    projects = [
        (n, kb.project(n).title if kb.project(n) else "（本年度清单没有这一项）", c)
        for n, c in sorted(per_project.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return Stats(
        first=first,
        last=last,
        total=len(counted),
        users=len({q.user_hash for q in counted}),
        answered=sum(not q.unanswered for q in counted),
        days=list(days.values()),
        projects=projects,
        intents=Counter(q.intent for q in counted).most_common(),
        channels=Counter(q.channel for q in counted).most_common(),
        clusters=build_clusters(counted, router, decided)[:top],
        selfchecks=[q.found or 0 for q in checks],
    )


async def period_stats(
    repo: QuestionLogRepo,
    kb: KnowledgeBase,
    router: Router,
    days: int,
    now: dt.datetime | None = None,
    feedback: FeedbackRepo | None = None,
) -> Stats:
    """Statistics of the last `days` local days, today included."""
    now = now or utcnow()
    last = local_date(now)
    first = last - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), LOCAL_TZ)
    questions = await repo.questions(since)
    s = compute(questions, kb, router, first, last, await repo.decisions())
    if feedback is not None:
        said = await feedback.feedback(since)
        s.helpfulness, s.unhelpful = voices.helpfulness(said, kb), voices.unhelpful(said)
        s.suggestions = voices.by_topic(await feedback.suggestions(since), kb)
    return s


def text_report(s: Stats, width: int = 30) -> str:
    """The statistics as plain text for a terminal."""
    lines = [
        f"问答统计 {s.first:%Y-%m-%d} — {s.last:%Y-%m-%d}（{len(s.days)} 天）",
        f"问题 {s.total} 个，提问人 {s.users} 位，已回答 {s.answered} 个（回答率 {s.answer_rate:.0%}）",
        s.selfcheck_line + "（不计入问题）",
        "",
        "按日（已答 / 未答）：",
    ]
    peak = max((d.total for d in s.days), default=0) or 1
    for d in s.days:
        bar = "█" * round(width * d.answered / peak) + "░" * round(width * d.unanswered / peak)
        lines.append(f"  {d.date:%m-%d} {d.answered:>4} / {d.unanswered:<4} {bar}")
    lines += ["", "按项目："]
    lines += [f"  第{n}项 {title}  {c}" for n, title, c in s.projects] or ["  （无）"]
    lines += ["", "按意图："]
    lines += [f"  {INTENT_NAMES.get(i, i)}（{i}）  {c}" for i, c in s.intents] or ["  （无）"]
    lines += ["", "未答问题最多的几组："]
    for k, c in enumerate(s.clusters, 1):
        lines.append(f"  {k}. [{c.id}] {c.size} 次：" + " / ".join(c.examples()))
    if not s.clusters:
        lines.append("  （无）")
    lines += ["", *voices.helpfulness_lines(s.helpfulness, s.unhelpful)]
    lines += ["", *voices.suggestion_lines(s.suggestions)]
    return "\n".join(lines)
