"""A life situation in free text (我爸瘫在床上…有啥政策): every sub-item that serves the groups
the resident describes, one line each, worded as "may concern you", never as a promise."""

from __future__ import annotations

import unicodedata

from bot import actions, regexcache
from bot.clauses import find_ask
from bot.kb.model import KnowledgeBase
from bot.models import Button, Reply, Route
from bot.perkb import per_kb
from bot.text import compact
from handlers import asks, concerns, facts
from handlers.common import ask_hotline

MAX_LINES = 6
# The resident asks what there is for them, not one fact of one project.
_GENERAL = regexcache.compile(
    r"(享受|有什么|有啥|有嘛|有哪些|能帮|帮帮|帮上|帮我|政策|照顾|管不管|管吗|有没有|怎么办|适合|能得到|能领|补贴|服务)"
)
_WHAT_HELP = regexcache.compile(
    r"(哪些|什么|啥)(帮助|政策|福利|补贴|照顾|服务|优惠|好处|待遇|支持|帮扶)"
)
_POINTED = ("count", "where", "names", "define", "name")
STORY = 20  # characters: a message this long tells a situation even without 有什么能享受
LONG_STORY = 40  # a story this long is a situation even if it asks 家附近有啥 (where)…
_ONE_POINT = ("apply", "deadline", "progress")  # …unless it asks how, when or how far
_HOW_MUCH = ("amount", "count")


def groups_in(kb: KnowledgeBase, text: str) -> list[str]:
    """The vocabulary's groups whose words the resident uses about themselves or family."""
    q = compact(text or "")
    return [tag for tag, keys in per_kb(kb, _group_keys) if any(k in q for k in keys)]


def _group_keys(kb: KnowledgeBase) -> list[tuple[str, tuple[str, ...]]]:
    """(tag, its words in compact form) for every vocabulary group, once per KB."""
    return [(tag, tuple(compact(w) for w in g.words)) for tag, g in kb.vocab.groups.items()]


def reply(kb: KnowledgeBase, text: str, route: Route) -> Reply | None:
    """The situation answer, or None when the question is about one project's one point."""
    q = compact(text or "")
    if route.too_long or not (_GENERAL.search(q) or len(q) >= STORY):
        return None
    pointed = asks.read(text).kind in _POINTED and not _WHAT_HELP.search(q)
    if pointed and (len(q) < LONG_STORY or route.intent in _ONE_POINT):
        return None  # 在哪 / 哪几个: one point of one project (能得到哪些帮助 is not that)
    if _asks_one_point(kb, text, route) and not _WHAT_HELP.search(q):
        return None  # 大病保险报的比例提高了…到底多报了多少: the story explains, the question asks
    hits = concerns.concerned(kb, groups_in(kb, text))
    # The router's pick and its close candidates (特教学校 beside 坐轮椅) count as concerned too.
    routed = [route.project] if route.project is not None else []
    routed += [a.project for a in route.alternatives if a.project not in routed]
    # …and every other project the words name or describe (逸庭苑 + 暖气不热: 8 and 11).
    routed += [n for n in route.related if n not in routed]
    projects = {p.number for p, _, _ in hits} | set(routed)
    if len(projects) < 2 and (route.project is not None or not hits):
        return None  # one project the router found: its own answer says it better
    grouped = {p.number for p, _, _ in hits}
    for n in reversed(routed):
        if n not in grouped and kb.project(n) is not None:
            p = kb.project(n)
            hits.insert(0, (p, facts.pick_item(p, text) or _closest_item(p, text), []))
    # A sub-item the resident names outright (低保边缘) is answered first, even if none of their
    # groups leads to it.
    p = kb.project(routed[0]) if routed else None
    named = facts.named_outright(p, text) if p is not None else None
    if named is not None and not any(h[0] is p and h[1] is named for h in hits):
        hits.insert(0, (p, named, []))
    lines = ["按您说的情况，这些项目可能与您有关（具体以经办部门审核为准）："]
    lines += concerns.sections(kb, _each_project_first(hits, MAX_LINES))
    lines.append(ask_hotline(kb))
    return Reply("\n".join(lines), _buttons(hits))


def _asks_one_point(kb: KnowledgeBase, text: str, route: Route) -> bool:
    """The message names one sub-item of the routed project outright and asks how much or how
    many of it, whatever story comes with it: a figure, not a list of what may concern them."""
    p = kb.project(route.project) if route.project is not None else None
    if p is None or route.alternatives or asks.read(text).kind not in _HOW_MUCH:
        return False  # 孩子上学 beside 失业保险: which one is asked is for the resident to say
    named = facts.named_outright(p, text)
    if named is None:
        return False
    # The story names one thing (吃低保), the question another (那个保险…能报吗): not one point.
    raw = unicodedata.normalize("NFKC", text)  # find_ask's positions are in this text
    ask = find_ask(raw, story=True)
    asked = facts.matching_items(p, raw[ask.start : ask.end]) if ask else []
    return not asked or named in asked


def _each_project_first(hits, room: int):
    """At most `room` lines, in their order, keeping one for every project before a second for
    any (低收入 + 租房 + 看病 must name 6 and 7 even when 5 has three sub-items for 看病)."""
    keep, seen = [], set()
    for k, hit in enumerate(hits):
        if hit[0].number not in seen and len(keep) < room:
            keep.append(k)
            seen.add(hit[0].number)
    for k in range(len(hits)):
        if len(keep) >= room:
            break
        if k not in keep:
            keep.append(k)
    return [hits[k] for k in sorted(keep)]


def _closest_item(p, text: str):
    """The sub-item whose words share most two-character pieces with the story (没了工作 ->
    就业帮扶), so one line names one thing instead of the whole project's summary."""
    q = compact(text or "")
    pairs = {q[i : i + 2] for i in range(len(q) - 1)}
    best, best_n = None, 0
    for it in p.items:
        words = compact(it.name + "".join(it.terms))
        n = len(pairs & {words[i : i + 2] for i in range(len(words) - 1)})
        if n > best_n:
            best, best_n = it, n
    return best


def _buttons(hits) -> list[list[Button]]:
    seen, row = set(), []
    for p, it, _ in hits:
        if p.number in seen or len(row) == 4:
            continue
        seen.add(p.number)
        idx = p.items.index(it) if it is not None and len(p.items) > 1 else None
        row.append(Button(f"第{p.number}项", actions.answer(p.number, "overview", idx)))
    return [row, [Button("全部项目", actions.LIST)]]
