"""Lint checks that know today's date and what residents can reach: an old list, projects
silent after their year ended, drafts without aliases, accepted bare words several projects share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bot.kb.loader import available_years
from bot.kb.model import KnowledgeBase
from bot.text import compact

YEAR_END_DAYS = 30  # after the list's year ended, a project without any progress for this long
BARE_WORD = 4  # an accepted example this short, with no question word, is a bare word


def old_list(kb: KnowledgeBase, today: dt.date, issue) -> Iterator:
    """The newest list on disk is older than this year: residents ask about this year's."""
    newest = max(available_years(kb.directory), default=kb.year.year)
    if newest < today.year:
        yield issue(
            "warning",
            "_list.yaml",
            1,
            "year",
            f"最新的年度清单是 {newest} 年，今天是 {today.isoformat()}：请导入 {today.year} 年的清单"
            f"（python -m bot kb import 公告.txt --year {today.year} --out knowledge/{today.year}/）",
        )


def silent_after_year_end(
    kb: KnowledgeBase, today: dt.date, admin: dict, days: int, where, issue
) -> Iterator:
    """No progress entry at all, `days` after the list's year ended."""
    ended = dt.date(kb.year.year, 12, 31)
    late = (today - ended).days
    if late <= days:
        return
    for n, p in sorted(kb.projects.items()):
        if p.progress or admin.get(n):
            continue  # entries that are merely old are the stale-progress check's business
        file, line = where(n, ("progress",))
        yield issue(
            "warning",
            file,
            line,
            "progress",
            f"第{n}项 {p.title}: {kb.year.year} 年已结束 {late} 天，仍没有任何进展记录"
            "（居民问进展只能得到“暂无进展发布”）",
        )


def no_aliases(kb: KnowledgeBase, where, issue) -> Iterator:
    """A project (typically a fresh import draft) residents cannot name."""
    for n, p in sorted(kb.projects.items()):
        if not p.aliases:
            file, line = where(n, ("aliases",))
            yield issue(
                "warning",
                file,
                line,
                "aliases",
                f"第{n}项 {p.title}: 没有 aliases，居民用口头叫法问不到这一项；请补充几种叫法",
            )


def shared_bare_words(kb: KnowledgeBase, where, issue) -> Iterator:
    """An example that is a bare word (补贴) which other projects' texts use as well."""
    cues = {compact(c) for ic in kb.vocab.intents.values() for c in ic.cues}
    texts = {
        n: compact(" ".join([p.title, p.summary, p.source, *p.aliases, *p.keywords]))
        for n, p in kb.projects.items()
    }
    for n, p in sorted(kb.projects.items()):
        for i, ex in enumerate(p.examples):
            word = compact(ex)
            if not word or len(word) > BARE_WORD or any(c and c in word for c in cues):
                continue
            others = [m for m, t in sorted(texts.items()) if m != n and word in t]
            if others:
                file, line = where(n, ("examples", i))
                also = "、".join(f"第{m}项" for m in others[:5])
                yield issue(
                    "warning",
                    file,
                    line,
                    f"examples.{i}",
                    f"「{ex}」只是一个词，{also}也用到它：居民只说这个词时不该都指向第{n}项；"
                    "请收录完整的问法",
                )
