"""Answers about one project: the sub-item asked about, the point asked, the one fact first."""

from __future__ import annotations

import datetime as dt
import re

from bot import actions, regexcache
from bot.kb.claims import names_in
from bot.kb.model import KnowledgeBase
from bot.kb.schema import Project, SubItem
from bot.models import Button, ProgressNote, Reply
from bot.text import compact
from handlers import asks, facts
from handlers.common import NOT_STATED, ask_hotline, follow_up_buttons, header, time_preface
from handlers.facts import key_fact, of_item, target_line, with_year
from handlers.notes import note

MAX_FACTS = 2  # the key fact and one related line; the rest is behind buttons
MAX_NAMED = 3  # figures for this many sub-items named in one count question
# The points a further question of the same message adds (what the item is, the first said).
POINTS = ("benefit", "eligibility", "apply", "deadline", "progress", "count", "amount", "cost")
POINTS += ("where", "names")
# After answering one intent, the two next steps residents most often take.
NEXT = {
    "overview": ("benefit", "apply"),
    "benefit": ("eligibility", "apply"),
    "eligibility": ("apply", "benefit"),
    "apply": ("eligibility", "deadline"),
    "deadline": ("progress", "apply"),
    "progress": ("deadline", "benefit"),
}
LABELS = {"overview": "概况", "benefit": "待遇", "eligibility": "条件", "apply": "怎么办"}
LABELS |= {"deadline": "时间", "progress": "进展"}


class Ctx:
    """Everything one answer is built from."""

    def __init__(self, kb, p, item, ask, text, history, today):
        self.kb, self.p, self.item, self.ask = kb, p, item, ask
        self.text, self.history, self.today = text, history, today
        self.year = kb.year.year
        self.silent = False  # the source does not say part of what was asked
        self.say_key = False  # after the notes, say what the source does say

    def missing(self, key: str) -> list[str]:
        """Say the source is silent on this point (what it does say follows the notes)."""
        self.silent = self.say_key = True
        return [note(self.p, self.item, key)]

    def key(self) -> str:
        return with_year(key_fact(self.p, self.item), self.year, plan=True)

    @property
    def name(self) -> str:
        return self.item.name if self.item else self.p.title


def answer(
    kb: KnowledgeBase,
    p: Project,
    intent: str,
    history: list[ProgressNote],
    *,
    text: str = "",
    hint: str | None = None,
    today: dt.date | None = None,
    more: list[tuple[str, str]] = (),
) -> Reply:
    """Build the reply for one project and one of the six project intents; `more`: (intent,
    question) of each question when the message asks several (each gets its own lines)."""
    today = today or dt.date.today()
    c = _ctx(kb, p, text, hint, history, today)
    lines: list[str] = []
    asked = [(intent, c)]
    for q_intent, question in more:
        # The sub-item a question names, else the message's (在哪里？ after 排球场建好了吗？).
        named = facts.matching_items(p, question)
        qc = _ctx(kb, p, question, None, history, today, named[0] if named else c.item)
        asked.append((q_intent, qc))
    done: set = set()
    for k, (q_intent, qc) in enumerate(asked):
        slots = [x for x in _slots(q_intent, qc.ask) if k == 0 or x in POINTS]
        if all((qc.name, x) in done for x in slots):
            continue  # a point already answered (怎么报名？去哪报名？) or no point of its own
        known = {_bare(y) for y in lines} | ({_bare(qc.key())} if k else set())
        for slot in slots:
            if (qc.name, slot) in done:
                continue
            done.add((qc.name, slot))
            for line in SLOTS[slot](qc):
                if _bare(line) not in known and not (k and _states_key(qc, line)):
                    lines.append(line)
                    known.add(_bare(line))
        # What the source does say about the sub-item (a project's summary would be a wall).
        key = qc.key()
        if qc.say_key and qc.item is not None and not any(_bare(key) in _bare(x) for x in lines):
            lines.append("原文只写：" + key)
    item = c.item
    if any(qc.silent for _, qc in asked):
        lines.append(ask_hotline(kb))
    pre = time_preface(kb, c.ask, c.today)
    body = "\n".join(([pre] if pre else []) + [header(p)] + lines)
    return Reply(body, _buttons(p, item, intent), item=item.name if item else None)


def _states_key(c: Ctx, line: str) -> bool:
    """The line restates what the sub-item is (its key fact or a target of it), said already."""
    targets = {
        _bare(with_year(target_line(t), c.year, plan=True)) for t in of_item(c.p.targets, c.item)
    }
    return _bare(line) in targets or _bare(line) == _bare(c.key())


def _ctx(kb, p, text, hint, history, today, item=None) -> Ctx:
    """What one question asks of the project: its point, and the sub-item it is about."""
    ask = asks.read(text)
    beyond = facts.beyond_words(kb, text)
    if beyond and not ask.yes_no:  # 包括加装电梯吗 / 附近有地铁吗: a point the list lacks
        ask = asks.Ask((), beyond[0], ask.year, ask.now)
    return Ctx(kb, p, item or _item(p, text, hint, ask), ask, text, history, today)


def _bare(line: str) -> str:
    """A line without its year label and end mark, to drop the same fact said twice."""
    return line.removeprefix("原文只写：").split("年计划", 1)[-1].split("年：", 1)[-1].rstrip("。")


def counts_across(kb: KnowledgeBase, text: str, today: dt.date) -> Reply | None:
    """How many, asked of sub-items of two or more projects, each named by a word of three
    characters or more (菜市场几个、便利店几个、示范店几家): each figure under its project's
    heading, in the order named; None for any other question."""
    ask = asks.read(text)
    if ask.kind != "count":
        return None
    found = sorted(
        (at, p.number, target_line(t))
        for p in kb.projects.values()
        for at, it in facts.all_named_outright(p, text)
        if (t := facts.own_figure(p, it, text)) is not None
    )
    if len({n for _, n, _ in found}) < 2:
        return None
    lines, shown = [], None
    for _, n, line in found[: MAX_NAMED * 2]:
        if n != shown:
            lines.append(header(kb.project(n)))
            shown = n
        lines.append(with_year(line, kb.year.year, plan=True))
    pre = time_preface(kb, ask, today)
    first = kb.project(found[0][1])
    return Reply("\n".join(([pre] if pre else []) + lines), _buttons(first, None, "overview"))


def source_reply(p: Project) -> Reply:
    """Quote the official paragraph verbatim."""
    return Reply(f"{header(p)} 原文：", follow_up_buttons(p, None)[:1], quote=p.source)


def _item(p: Project, text: str, hint: str | None, ask: asks.Ask) -> SubItem | None:
    """Of the sub-items the question names, one that has the kind of fact asked for."""
    named = facts.covered_items(p, text)
    if ask.kind in ("names", "where"):
        # The sub-item whose places are the kind asked for (跟哪家医院签的: 天津市胸科医院),
        # named or not; else one with places named as much as the best. A sub-item named more
        # (自闭症…特殊学校, beside 从小学念到高中) keeps the question: its answer says where
        # is not stated.
        kind = _ASKED_KIND.search(compact(text))
        if kind:
            of_kind = [it for it in p.items if _places_of_kind(p, it, kind.group(1))]
            if len(of_kind) == 1:
                return of_kind[0]
        top = named[0][0] if named else 0
        with_places = [it for cover, it in named if cover == top and of_item(p.places, it)]
        if len(named) > 1 and with_places:
            return with_places[0]
    return named[0][1] if named else facts.pick_item(p, "", hint)


def _places_of_kind(p: Project, item: SubItem, kind: str) -> bool:
    return any(pl.name.endswith(kind) for pl in p.places if pl.item == item.name)


# The kind of place a which-question asks for: 哪家医院 -> 医院, 哪个小区 -> 小区.
_ASKED_KIND = regexcache.compile(r"哪(?:[一两几]?[个家所条座处])?([\u4e00-\u9fff]{2})")


def _slots(intent: str, ask: asks.Ask) -> list[str]:
    k = ask.kind
    if intent == "progress":
        return ["count", "progress"] if k == "count" else ["progress"]
    if intent == "eligibility":
        return [k] if k in ("count", "names", "where") else ["eligibility"]
    if intent == "apply":
        return ["apply"]
    if intent == "deadline":
        return ["where", "deadline"] if k == "where" else ["deadline"]
    if ask.yes_no:
        return ["yes_no"]
    return [k] if k else [intent]


def _overview(c: Ctx) -> list[str]:
    if c.item is None:
        return [with_year(c.p.summary, c.year, plan=True)]
    lines = [c.key()]
    for t in of_item(c.p.targets, c.item):
        if f"{t.value:g}" not in lines[0] and target_line(t) not in lines[0]:
            lines.append(with_year(target_line(t), c.year, plan=True))
    return lines[:MAX_FACTS]


def _section(c: Ctx, items, key: str) -> list[str]:
    mine = facts.ranked(of_item(items, c.item), c.text, lambda f: f.text)
    if not mine:
        return c.missing(key)
    first = with_year(mine[0].text, c.year, plan=key == "benefit")
    return [first] + [f.text for f in mine[1:MAX_FACTS]] + _todo_line(c, key)


def _todo_line(c: Ctx, key: str) -> list[str]:
    """After the facts, what staff noted the source leaves unsaid about this point."""
    if c.item is not None and key in c.item.todo:
        text = c.item.todo[key]
    elif (c.item is None or len(c.p.items) <= 1) and key in c.p.todo:
        text = c.p.todo[key]
    else:
        return []
    c.silent = True
    return [text]


def _benefit(c: Ctx) -> list[str]:
    return _section(c, c.p.benefits, "benefit")


def _eligibility(c: Ctx) -> list[str]:
    return _section(c, c.p.eligibility, "eligibility")


def _apply(c: Ctx) -> list[str]:
    entries = of_item(c.p.apply, c.item)
    if not entries:
        return c.missing("apply")
    lines = []
    for e in entries[:MAX_FACTS]:
        line = f"{e.name}：{e.text}"
        if e.address:
            line += f" 地址：{e.address}"
        if e.phone:
            line += f" 电话：{e.phone}"
        if e.by and e.on:
            line += f"（{e.on:%Y-%m-%d} 工作人员核实）"
        lines.append(line)
    if not any(e.phone for e in entries):
        lines.append(note(c.p, c.item, "apply"))
        c.silent = True
    return lines


def _deadline(c: Ctx) -> list[str]:
    dates = of_item(c.p.dates, c.item)
    if not dates:
        return c.missing("deadline")
    lines = [facts.when_line(d, c.today) + "。" for d in dates[:MAX_FACTS]]
    return lines + _todo_line(c, "deadline")


def _progress(c: Ctx) -> list[str]:
    if c.history:
        last = c.history[-1]
        pct = f" {last.percent}%" if last.percent is not None else ""
        who = "工作人员" if last.origin == "kb" else "管理员"
        lines = [f"截至{last.on.year}年{last.on.month}月{last.on.day}日：{last.status}{pct}"]
        if last.note:
            lines.append(last.note)
        return lines + [f"（{who}{last.author}发布）"]
    c.silent = True
    plan = "" if c.ask.kind == "count" else c.key()
    lines = [plan] if plan else []
    return lines + ["暂无进展发布，原文也没有写完成情况。点「订阅进展」，有新进展时通知您。"]


def _count(c: Ctx) -> list[str]:
    named = facts.items_in_order(c.p, c.text)
    if len(named) > 1:  # 体育园新建几个？健身园换新几个？: each one's figure, as asked
        lines = [
            with_year(target_line(t), c.year, plan=True)
            for it in named[:MAX_NAMED]
            if (t := facts.own_figure(c.p, it, c.text)) is not None
        ]
        if len(lines) > 1:
            return lines
    targets = of_item(c.p.targets, c.item) or (c.p.targets if c.item is None else [])
    targets = facts.ranked(targets, c.text, target_line)
    if not targets:
        return c.missing("count")
    return [with_year(target_line(t), c.year, plan=True) for t in targets[:1]]


def _amount(c: Ctx) -> list[str]:
    found = facts.money_facts(c.p, c.item)
    # A figure the question may mean sits with another sub-item it names (门诊…大病保险…多报
    # 多少: 门（急）诊 has none, 大病保险报销比例 has 5个百分点): say which is unsaid, then that.
    for it in facts.matching_items(c.p, c.text) if not found and c.item else []:
        if it is not c.item and (other := facts.money_facts(c.p, it)):
            return c.missing("amount") + [with_year(other[0], c.year)]
    if not found:
        return c.missing("amount")
    return [with_year(found[0], c.year)] + found[1:MAX_FACTS]


def _cost(c: Ctx) -> list[str]:
    found = facts.cost_facts(c.p, c.item)
    return [with_year(found[0], c.year, plan=True)] if found else c.missing("cost")


def _places(c: Ctx, key: str) -> list[str]:
    places = of_item(c.p.places, c.item) if c.item else c.p.places
    if not places:
        return c.missing(key)
    key_line = c.key()
    names = [pl.name for pl in places]
    if all(n in key_line for n in names):
        return [key_line]
    return ["、".join(names) + "。", key_line]


def _where(c: Ctx) -> list[str]:
    if c.item is not None and "where" in c.item.todo:
        return c.missing("where")
    return _places(c, "where")


def _names(c: Ctx) -> list[str]:
    if c.item is not None and "names" in c.item.todo:
        return c.missing("names")  # staff said the source names no members (向阳楼街 3 roads)
    # 哪些人能… asks who, not which places: the eligibility facts answer it
    who = re.search(r"哪些(人|家庭|老人|群体)", c.text or "")
    if who and not of_item(c.p.places, c.item) and of_item(c.p.eligibility, c.item):
        return _eligibility(c)
    return _places(c, "names")


def _attr(c: Ctx) -> list[str]:
    return _overview(c)


def _define(c: Ctx) -> list[str]:
    if c.item is not None and c.item.means is not None:
        return [f"{c.item.name}：{c.item.means.text}"]
    for key in ("means", "overview"):  # no explanation in the source: say so first
        if c.item is not None and key in c.item.todo:
            return c.missing(key)
    return [f"{c.name}：{key_fact(c.p, c.item)}"]


def _name(c: Ctx) -> list[str]:
    return [f"叫“{c.name}”。", c.key()]


def _yes_no(c: Ctx) -> list[str]:
    thing = c.ask.yes_no or ""
    said = [f.text for f in (*c.p.benefits, *c.p.eligibility) if thing and thing in f.text]
    if said:
        return [with_year(said[0], c.year, plan=True)]
    c.silent = True
    # Echo the resident's words only when they name nothing the KB lacks (numbers, places).
    plain = thing and not any(ch.isdigit() for ch in thing) and not names_in(thing)
    shown = thing if plain else "您问的这一点"
    return [f"{NOT_STATED}{c.name}是否包括{shown}。", "原文只写：" + c.key()]


SLOTS = {
    "overview": _overview,
    "benefit": _benefit,
    "eligibility": _eligibility,
    "apply": _apply,
    "deadline": _deadline,
    "progress": _progress,
    "count": _count,
    "amount": _amount,
    "cost": _cost,
    "where": _where,
    "names": _names,
    "attr": _attr,
    "define": _define,
    "name": _name,
    "yes_no": _yes_no,
}


def _buttons(p: Project, item: SubItem | None, intent: str) -> list[list[Button]]:
    """At most five: two next questions about the same thing, the rest of the project, source."""
    many = len(p.items) > 1
    idx = p.items.index(item) if item is not None and many else None
    row = [Button(LABELS[i], actions.answer(p.number, i, idx)) for i in NEXT[intent]]
    if item is not None and many:
        row.append(Button("本项全部内容", actions.answer(p.number, "overview")))
    tail = [
        Button("订阅进展", actions.subscribe(p.number)),
        Button("查看原文", actions.source(p.number)),
    ]
    return [row, tail]
