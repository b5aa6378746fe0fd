"""`kb lint`: the schema and truth checks of `kb check`, plus semantic checks on a loaded KB.

Errors (non-zero exit): a word (alias, keyword, example) that points to two projects; example
phrasings of two projects that rapidfuzz scores >= 90 against each other. Warnings: facts still
`todo`; progress not updated for N days; dates already past that the KB still words as future.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.kb.model import KnowledgeBase
from bot.kb.yamllines import YAMLProblem, line_of, load_with_lines
from bot.models import ProgressNote
from bot.staff import lint_calendar as dates
from bot.text import compact

NEAR_DUPLICATE = 90  # fuzz.ratio of two projects' example phrasings that confuses the router
STALE_DAYS = 30
WORD_FIELDS = ("aliases", "keywords", "examples")
OPEN_KINDS = ("start", "opening", "completion")  # dates that say something is still to happen
# Not a bare 将: in 将居民医保…提高到 it means 把, not "will".
FUTURE_WORDS = re.compile(r"将于|将在|将会|将要|计划|预计|拟|即将|争取|有望|力争|届时")
_TEXT_DATE = re.compile(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月)?(?:\s*(\d{1,2})\s*日)?")


@dataclass(frozen=True)
class Issue:
    level: str  # error | warning
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.file}:{self.line}: {self.field}: {self.message}"


def period_end(date: str) -> dt.date:
    """The last day a KB date (YYYY, YYYY-MM, YYYY-MM-DD) covers."""
    parts = [int(x) for x in date.split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date(*parts)


class _Lines:
    """file:line lookups, reading each project file once."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._cache: dict[int, dict] = {}

    def __call__(self, n: int, path: tuple) -> tuple[str, int]:
        f = self.kb.files.get(n)
        if f is None:
            return f"第{n}项", 0
        if n not in self._cache:
            try:
                self._cache[n] = load_with_lines(f.read_text(encoding="utf-8"))[1]
            except (OSError, YAMLProblem):
                self._cache[n] = {}
        return f.name, line_of(self._cache[n], path)


def lint(
    kb: KnowledgeBase,
    today: dt.date,
    admin_progress: dict[int, list[ProgressNote]] | None = None,
    stale_days: int = STALE_DAYS,
    year_end_days: int = dates.YEAR_END_DAYS,
) -> list[Issue]:
    """Every semantic problem of a KB that already passed `kb check`, errors first."""
    where = _Lines(kb)
    issues = [
        *dates.old_list(kb, today, Issue),
        *dates.silent_after_year_end(kb, today, admin_progress or {}, year_end_days, where, Issue),
        *dates.no_aliases(kb, where, Issue),
        *dates.shared_bare_words(kb, where, Issue),
        *_shared_words(kb, where),
        *_near_duplicate_examples(kb, where),
        *_todo(kb, where),
        *_stale_progress(kb, where, today, admin_progress or {}, stale_days),
        *_past_as_future(kb, where, today, admin_progress or {}),
    ]
    return sorted(issues, key=lambda i: (i.level != "error", i.file, i.line))


def _shared_words(kb: KnowledgeBase, where: _Lines):
    fold = _folder(kb)
    owners: dict[str, dict[int, tuple[str, int, str]]] = defaultdict(dict)
    for n, p in sorted(kb.projects.items()):
        for fld in WORD_FIELDS:
            words = p.example_texts if fld == "examples" else getattr(p, fld)
            for i, word in enumerate(words):
                owners[fold(compact(word))].setdefault(n, (fld, i, word))
    for key, by in owners.items():
        if key and len(by) > 1:
            (n, (fld, i, word)), *others = sorted(by.items())
            also = "、".join(f"第{m}项 {f}「{w}」" for m, (f, _, w) in others)
            file, line = where(n, (fld, i))
            yield Issue("error", file, line, f"{fld}.{i}", f"「{word}」同时指向第{n}项和 {also}")


def _folder(kb: KnowledgeBase):
    """The router's synonym folding (啥时候 -> 什么时候), without building a whole lexicon."""
    pairs = {compact(v): compact(c) for c, vs in kb.vocab.synonyms.items() for v in vs}
    alts = sorted((a for a in pairs if a), key=len, reverse=True)
    rx = re.compile("|".join(map(re.escape, alts))) if alts else None
    return (lambda s: rx.sub(lambda m: pairs[m.group(0)], s)) if rx else (lambda s: s)


def _near_duplicate_examples(kb: KnowledgeBase, where: _Lines):
    fold = _folder(kb)
    flat = [
        (n, i, ex, fold(compact(ex)))
        for n, p in sorted(kb.projects.items())
        for i, ex in enumerate(p.example_texts)
    ]
    keys = [k for *_, k in flat]
    for n, i, ex, key in flat:
        for _, score, b in process.extract(
            key, keys, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE, limit=None
        ):
            m, j, other, _ = flat[b]
            if m > n:  # each pair once, from the lower project number
                file, line = where(n, ("examples", i))
                yield Issue(
                    "error",
                    file,
                    line,
                    f"examples.{i}",
                    f"「{ex}」与第{m}项的「{other}」几乎相同（相似度 {score:.0f}）：路由器无法区分",
                )


def _todo(kb: KnowledgeBase, where: _Lines):
    for n, p in sorted(kb.projects.items()):
        if p.todo:
            file, line = where(n, ("todo",))
            keys = ", ".join(p.todo)
            yield Issue(
                "warning",
                file,
                line,
                "todo",
                f"第{n}项 {p.title}: {len(p.todo)} 条事实待补充 ({keys})",
            )


def _stale_progress(kb, where, today, admin, stale_days):
    for n, p in sorted(kb.projects.items()):
        notes = [(e.on, e.status, "YAML") for e in p.progress]
        notes += [(e.on, e.status, "管理员") for e in admin.get(n, [])]
        if not notes:
            continue
        on, status, origin = max(notes, key=lambda x: x[0])
        age = (today - on).days
        if status != "已完成" and age > stale_days:
            file, line = where(n, ("progress",))
            yield Issue(
                "warning",
                file,
                line,
                "progress",
                f"第{n}项 {p.title}: 最近一次进展是 {on.isoformat()}（{origin}，{status}），"
                f"已 {age} 天未更新",
            )


def _past_as_future(kb: KnowledgeBase, where: _Lines, today: dt.date, admin):
    for n, p in sorted(kb.projects.items()):
        done = any(e.status == "已完成" for e in [*p.progress, *admin.get(n, [])])
        for i, d in enumerate(p.dates):
            if d.kind in OPEN_KINDS and period_end(d.date) < today and not done:
                file, line = where(n, ("dates", i))
                yield Issue(
                    "warning",
                    file,
                    line,
                    f"dates.{i}",
                    f"{d.what}：{d.date}（{d.kind}）已经过去，但没有“已完成”的进展，回答仍像是计划",
                )
        texts = [(("summary",), p.summary)]
        texts += [(("benefits", i, "text"), b.text) for i, b in enumerate(p.benefits)]
        texts += [(("dates", i, "what"), d.what) for i, d in enumerate(p.dates)]
        texts += [(("todo", k), v) for k, v in p.todo.items()]
        for path, text in texts:
            for m in _TEXT_DATE.finditer(text):
                parts = [g for g in m.groups() if g]
                try:
                    end = period_end("-".join(parts))
                except ValueError:
                    continue
                if end < today and FUTURE_WORDS.search(text):
                    file, line = where(n, path)
                    yield Issue(
                        "warning",
                        file,
                        line,
                        ".".join(map(str, path)),
                        f"「{text[:40]}」说的 {m.group(0)} 已经过去，措辞仍是将来时",
                    )
                    break
