"""Pick the sub-item a question is about and the project's facts of one kind, best first."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from bot import regexcache
from bot.kb.schema import Project, SubItem
from bot.perkb import per_kb
from bot.text import compact, format_number
from handlers.common import format_date

_MONEY = regexcache.compile(r"(\d[\d.]*\s*(万元|元|个百分点|%)|比例|限额)")
_COST = regexcache.compile(r"(免费|收费|不收费)")


@lru_cache(maxsize=4096)
def _key(word: str) -> str:
    return compact(word)


def pick_item(p: Project, text: str, hint: str | None = None) -> SubItem | None:
    """The sub-item whose words the question uses (longest match wins), else the hint."""
    q = compact(text or "")
    best, best_len = None, 0
    for k, it in per_kb(p, _term_keys):
        if k in q and len(k) > best_len:
            best, best_len = it, len(k)
    if best is None and len(p.items) == 1:
        return p.items[0]
    return best or p.item(hint)


def matching_items(p: Project, text: str) -> list[SubItem]:
    """Every sub-item the question names, the one that covers most of its words first.

    门诊费用能进大病保险吗 names 门诊 and 大病保险: the 门（急）诊 facts speak of both, the
    大病保险 facts of one, so 门（急）诊 is what is asked about."""
    return [it for _, it in covered_items(p, text)]


def named_outright(p: Project, text: str) -> SubItem | None:
    """The sub-item a question names by a word of three characters or more (大病保险,
    低保边缘), the longest such word deciding; None when none is named that plainly."""
    q = compact(text or "")
    found = [(len(k), it) for k, it in per_kb(p, _term_keys) if len(k) >= 3 and k in q]
    return max(found, key=lambda x: x[0])[1] if found else None


def all_named_outright(p: Project, text: str) -> list[tuple[int, SubItem]]:
    """(where in the question, sub-item) for every sub-item named by a word of three
    characters or more, first named first."""
    return _first_named(p, text, shortest=3)


def items_in_order(p: Project, text: str) -> list[SubItem]:
    """The sub-items the question names, in the order it names them (新增就业、补贴培训、
    见习，各是多少: three, first to last), each once."""
    return [it for _, it in _first_named(p, text)]


def _first_named(p: Project, text: str, shortest: int = 1) -> list[tuple[int, SubItem]]:
    """(where its first word of `shortest` characters or more stands in the question,
    sub-item) for each sub-item so named, first named first."""
    q = compact(text or "")
    first: dict[str, tuple[int, SubItem]] = {}
    for k, it in per_kb(p, _term_keys):
        at = q.find(k) if len(k) >= shortest else -1
        if at >= 0 and at < first.get(it.name, (len(q), it))[0]:
            first[it.name] = (at, it)
    return sorted(first.values(), key=lambda x: x[0])


def own_figure(p: Project, item: SubItem, text: str):
    """The sub-item's own target (not a project-wide one) that shares most with the question."""
    mine = ranked(of_item(p.targets, item), text, target_line)
    return mine[0] if mine and mine[0].item is not None else None


def covered_items(p: Project, text: str) -> list[tuple[int, SubItem]]:
    """matching_items with each one's cover: how many of the question's characters its named
    words (its own, or others its facts speak of) account for."""
    q = compact(text or "")
    said = {k: it.name for k, it in per_kb(p, _term_keys) if k in q}
    scored = []
    for it in p.items:
        own = [k for k, owner in said.items() if owner == it.name]
        if not own:
            continue
        body = per_kb(p, _bodies)[it.name]
        cover = sum(len(k) for k in said if said[k] == it.name or k in body)
        scored.append((cover, max(len(k) for k in own), it))
    return [(cover, it) for cover, _, it in sorted(scored, key=lambda x: (-x[0], -x[1]))]


def _term_keys(p: Project) -> list[tuple[str, SubItem]]:
    """(compact term, its sub-item) for every sub-item's name and terms, in the project's
    order, the empty ones left out, then the short forms of the names (official names; staff's
    terms are short already, and 低保边缘家庭 shortened would be 低保家庭, another thing): once
    per loaded project (bot.perkb), not per question."""
    keys = [(_key(t), it) for it in p.items for t in (it.name, *it.terms) if _key(t)]
    spelled = [k for k, _ in keys]
    short = [(s, it) for it in p.items for s in short_forms(_key(it.name))]
    # A short form that another sub-item's words contain, or that two sub-items share, names
    # neither of them.
    owners: dict[str, set[str]] = {}
    for s, it in short:
        owners.setdefault(s, set()).add(it.name)
    return keys + [
        (s, it)
        for s, it in dict(short).items()
        if len(owners[s]) == 1 and not any(s in k for k in spelled)
    ]


def short_forms(word: str) -> list[str]:
    """How a long official name is shortened in speech: its head and its tail, the middle
    dropped (特殊教育学校 -> 特殊学校, 安静居住小区 -> 安静小区, 人防示范社区 -> 人防社区)."""
    if len(word) < 6 or not all("\u4e00" <= c <= "\u9fff" for c in word):
        return []
    forms = [word[:2] + word[-2:]]
    if len(word) >= 7:
        forms.append(word[:2] + word[-3:])
    return forms


def _bodies(p: Project) -> dict[str, str]:
    """Sub-item name -> its facts' text, compact (what its named words may be covered by)."""
    return {it.name: compact(" ".join(_texts(p, it))) for it in p.items}


def _texts(p: Project, item: SubItem) -> list[str]:
    out = [f.text for f in (*p.benefits, *p.eligibility) if f.item == item.name]
    return out + [t.what for t in p.targets if t.item == item.name]


def of_item(facts, item: SubItem | None):
    """The facts about `item` and the project-wide ones (all of them when no item was picked)."""
    if item is None:
        return list(facts)
    return [f for f in facts if f.item in (item.name, None)]


def _bigrams(s: str) -> set[str]:
    s = compact(s)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def ranked(facts, text: str, label) -> list:
    """Facts by how many two-character pieces they share with the question (stable)."""
    q = _bigrams(text or "")
    scored = [(-len(q & _bigrams(label(f))), i, f) for i, f in enumerate(facts)]
    return [f for _, _, f in sorted(scored, key=lambda x: (x[0], x[1]))]


def target_line(t) -> str:
    return f"{t.what}{format_number(t.value)}{t.unit}"


def key_fact(p: Project, item: SubItem | None) -> str:
    """The one line that says what a sub-item (or the project) is, in the source's terms."""
    if item is None:
        return p.summary
    for facts, label in ((p.benefits, None), (p.targets, target_line)):
        mine = of_item(facts, item)
        if mine:
            return label(mine[0]) if label else mine[0].text
    if item.means is not None:
        return item.means.text
    mine = of_item(p.eligibility, item)
    return mine[0].text if mine else p.summary


def money_facts(p: Project, item: SubItem | None) -> list[str]:
    texts = [b.text for b in of_item(p.benefits, item)]
    texts += [target_line(t) for t in of_item(p.targets, item)]
    return [t for t in texts if _MONEY.search(t)]


def cost_facts(p: Project, item: SubItem | None) -> list[str]:
    texts = [b.text for b in of_item(p.benefits, item)]
    return [t for t in texts if _COST.search(t)]


def when_line(d, today: dt.date) -> str:
    """A dated fact with its year and whether that day has come: 自2023年7月1日起…（已执行）."""
    day = format_date(d.date)
    started = _period_start(d.date) <= today
    if d.kind in ("effective", "start"):
        return f"自{day}起{d.what}（{'已执行' if started else '尚未开始'}）"
    if d.kind == "year":
        return f"{day}：{d.what}"
    verb = "完成" if d.kind == "completion" else "开放"
    late = "（时间已过，完成情况以发布的进展为准）" if started else ""
    return f"计划{day}{verb}：{d.what}{late}"


def _period_start(value: str) -> dt.date:
    parts = [int(x) for x in value.split("-")] + [1, 1]
    return dt.date(parts[0], parts[1], parts[2])


def with_year(text: str, year: int, plan: bool = False) -> str:
    """Label a fact with its list's year unless it already carries one."""
    text = text.rstrip("。；;")
    if str(year) in text:
        return text + "。"
    return f"{year}年计划{text}。" if plan else f"{year}年：{text}。"


def named_project(kb, text: str) -> int | None:
    """The one project whose place or sub-item the question names outright (逸庭苑, 家庭养老
    床位: three characters or more), even if the question also asks what the list lacks."""
    q = compact(text or "")
    found = set()
    for n, p in kb.projects.items():
        words = [pl.name for pl in p.places] + [w for it in p.items for w in (it.name, *it.terms)]
        if any(len(_key(w)) >= 3 and _key(w) in q for w in words):
            found.add(n)
    return found.pop() if len(found) == 1 else None


def beyond_words(kb, text: str) -> list[str]:
    """Words of the question that the list does not cover (the vocabulary's out_of_scope)."""
    q = compact(text or "")
    by_first = per_kb(kb, _out_of_scope_keys)
    found = [entry for c in set(q) for entry in by_first.get(c, ())]
    return [w for _, w, k in sorted(found) if k in q]


def _out_of_scope_keys(kb) -> dict[str, list[tuple[int, str, str]]]:
    """The vocabulary's out_of_scope words by the first character of their compact form, as
    (position in the vocabulary, word, compact form): a word can be in the question only
    if its first character is; sorting the positions keeps the vocabulary's order."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    for i, w in enumerate(kb.vocab.out_of_scope):
        if _key(w):
            out.setdefault(_key(w)[0], []).append((i, w, _key(w)))
    return out
