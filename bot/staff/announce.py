"""Read an official announcement: numbered items, their heading, quantities, dates and places.

Everything found keeps the verbatim clause it came from (the KB's `phrase`), so the drafts pass
the truth checks. Numbers are read on a normalised copy (full-width digits, 两所 → 2所) of each
clause; phrases and names stay exactly as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.staff.layouts import find_items
from bot.text import chinese_to_int

_CN_NUM = "零〇一二两三四五六七八九十百"
# Item markers: 一、 / 第一项 / （一） / 1、 1. — at the start of a line or after a sentence end.
_MARKER = re.compile(
    rf"(?:^|(?<=[\n。；;：:\s]))\s*(?:第(?P<a>[{_CN_NUM}\d０-９]+)项[，,、：:．.\s　]*"
    rf"|(?P<b>[{_CN_NUM}]+)、|[（(](?P<c>[{_CN_NUM}]+)[）)]\s*|(?P<d>[\d０-９]{{1,2}})[、．.](?!\d))"
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u3000]*\n")
_CLAUSE_END = "，,。；;！!？?\n"
_HEADING_END = re.compile(r"[。：:；;！!\n]")
_UNITS = (
    "个百分点|万平方米|平方米|平米|公里|千米|米|人次|人|名|个|张|家|所|户|条|座|场|项|处|辆|套"
    "|栋|间|块|亩|亿元|万元|元|台|部|件|次|天|届|批|支|位|只|棵|株|吨|盏|年|%"
)
# A number in digits (after NFKC) or in Chinese numerals (十五年, 两所), never an ordinal (第十二届).
_NUMBER = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
_QTY = re.compile(
    rf"(?<![\d.第零〇一二两三四五六七八九十百千])(?P<v>{_NUMBER})"
    rf"(?P<u>(?:万|亿)?(?:余|多)?(?:{_UNITS}))(?!性)"
)
_RANGE = re.compile(
    rf"从(?:每[\u4e00-\u9fff]{{1,2}}){{0,3}}(?P<v1>{_NUMBER})(?P<u1>(?:万|亿)?(?:{_UNITS}))"
    rf"(?P<verb>提高|增加|提升|上调|降低|减少|下调|调整|扩大)?到(?P<v>{_NUMBER})(?P<u>(?:万|亿)?(?:{_UNITS}))"
)
_FULL_DATE = re.compile(
    r"(?P<pre>自|从|于)?(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?P<post>起|前|之前|开始)?"
)
_MONTH = re.compile(
    r"(?P<pre>自|从|于)?(?P<y>\d{4})年(?P<m>\d{1,2})月(?:底|末|中旬|上旬|下旬)?(?P<post>起|前|之前|开始)?"
)
_YEAR = re.compile(r"(?P<pre>自|从|于)?(?P<y>20\d{2})年(?:底|末)?(?P<post>起|前|之前|开始)?")
_KIND_WORDS = (
    ("completion", ("前", "完工", "竣工", "完成", "建成", "交付")),
    ("opening", ("开放", "开业", "投入使用", "投用", "开通")),
    ("start", ("开工", "启动", "开始")),
)
_PLACE_SUFFIX = (
    "大道",
    "公寓",
    "小区",
    "花园",
    "广场",
    "医院",
    "地块",
    "路",
    "道",
    "街",
    "里",
    "苑",
    "园",
    "府",
    "城",
    "村",
    "庄",
    "湾",
    "桥",
)
_PLACE_SPLIT = re.compile(r"[、和及与（）()\-—－～~，,。；;：:“”\"‘’《》\s]|等")
_LEAD_VERBS = (
    "重点推动",
    "投入使用",
    "完成",
    "更新",
    "建设",
    "建成",
    "推动",
    "推进",
    "新建",
    "改造",
    "提升",
    "完善",
    "加快",
    "实施",
    "开展",
    "打造",
    "利用",
    "加强",
    "位于",
    "以及",
    "在",
    "对",
    "将",
    "为",
    "于",
)
_GENERIC_PLACE = (
    "城市",
    "市政",
    "配套",
    "基础设施",
    "老旧",
    "居住",
    "全区",
    "社区",
    "公共",
    "规划",
    "项目",
    "特色",
    "街头",
    "重点",
    "部分",
    "城区",
    "示范",
    "标准化",
    "基层",
    "终端",
    "室内",
    "公众",
    "闲置",
    "便民",
    "品牌",
    "道路",
    "口袋",
    "健身",
    "通道",
    "绿色",
    "幼儿园",
    "特殊教育",
    "学校",
    "菜市场",
    "停车",
)


@dataclass
class Quantity:
    what: str
    value: float
    unit: str
    phrase: str
    from_value: float | None = None  # 从600元提高到800元: 600


@dataclass
class Contact:
    """Where to apply or ask, as the announcement states it (phone, address), with its phrase."""

    name: str
    text: str
    phone: str | None
    address: str | None
    phrase: str


@dataclass
class DateFact:
    what: str
    date: str
    kind: str
    phrase: str


@dataclass
class Item:
    number: int
    title: str
    source: str  # the paragraph verbatim, marker included
    body: str  # the source without marker and heading
    targets: list[Quantity] = field(default_factory=list)
    dates: list[DateFact] = field(default_factory=list)
    places: list[tuple[str, str]] = field(default_factory=list)  # (name, phrase)
    contacts: list[Contact] = field(default_factory=list)


def norm(text: str) -> str:
    """Full-width digits and punctuation to half-width; Chinese numerals stay as written."""
    return unicodedata.normalize("NFKC", text)


def number(text: str) -> float:
    return float(text) if text[0].isdigit() else float(chinese_to_int(text) or 0)


def _marker_number(m: re.Match) -> int | None:
    raw = next(g for g in m.group("a", "b", "c", "d") if g)
    raw = unicodedata.normalize("NFKC", raw)
    return int(raw) if raw.isdigit() else chinese_to_int(raw)


def split_items(text: str) -> list[tuple[int, str]]:
    """(number, verbatim paragraph) for items numbered 1, 2, 3… in order; other matches are prose."""
    found, expected = [], 1
    for m in _MARKER.finditer(text):
        if _marker_number(m) == expected:
            found.append((expected, m.start() + len(m.group(0)) - len(m.group(0).lstrip())))
            expected += 1
    items = []
    for i, (n, start) in enumerate(found):
        end = found[i + 1][1] if i + 1 < len(found) else len(text)
        gap = _PARAGRAPH_BREAK.search(text, start, end)  # a signature or note after the last item
        items.append((n, text[start : gap.start() if gap else end].strip()))
    return items


def title_of(paragraph: str) -> tuple[str, str]:
    """(heading phrase, the rest) of one item's paragraph."""
    m = _MARKER.match(paragraph)
    rest = paragraph[m.end() :] if m else paragraph
    end = _HEADING_END.search(rest)
    if end is None:
        return rest.strip(), ""
    return rest[: end.start()].strip(" \u3000，,"), rest[end.end() :].strip()


def clauses(text: str) -> list[str]:
    """Split at clause punctuation; the pieces are verbatim substrings of the text."""
    return [c.strip() for c in re.split(f"[{_CLAUSE_END}]", text) if c.strip()]


def parse_item(number: int, paragraph: str, title: str | None = None, body: str = "") -> Item:
    if title is None:
        title, body = title_of(paragraph)
    item = Item(number, title, paragraph, body)
    parts = clauses(body)
    for i, clause in enumerate(parts):
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if _contact(item, clause):
            continue  # 咨询电话：022-… is neither a quantity nor a date
        rest = _dates(item, clause, nxt, paragraph)
        _targets(item, clause, rest)
        _places(item, clause)
    return item


# Phones with an area code or mobiles, and addresses after a label (办理地点：…).
_PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|\(0\d{2,3}\)\d{7,8})(?!\d)")
_ADDRESS = re.compile(
    r"(?P<label>办理地点|受理地点|服务地点|咨询地点|申请地点|地点|地址)[:：]\s*(?P<a>[^，,。；;]+)"
)
_PHONE_LABEL = re.compile(r"(?P<label>[\u4e00-\u9fff]{0,6}(?:电话|热线|手机))[:：]?")


def _contact(item: Item, clause: str) -> bool:
    """A clause stating a phone number or an address becomes an `apply` entry, verbatim."""
    n = norm(clause)
    phone = _PHONE.search(n)
    addr = _ADDRESS.search(clause)
    if not phone and not addr:
        return False
    phone_text = clause[phone.start() : phone.end()] if phone else None  # NFKC keeps lengths
    if phone_text is not None and norm(phone_text) != phone.group(0):
        phone_text = None  # full-width digits: keep the clause, let staff copy the number
    label = addr.group("label") if addr else None
    if label is None:
        m = _PHONE_LABEL.search(clause)
        label = m.group("label") if m else "联系电话"
    item.contacts.append(
        Contact(label, clause, phone_text, addr.group("a").strip() if addr else None, clause)
    )
    return True


def _dates(item: Item, clause: str, nxt: str | None, paragraph: str) -> str:
    """Record the clause's dates; return the normalised clause with the dates blanked out."""
    n = norm(clause)
    for rx in (_FULL_DATE, _MONTH, _YEAR):
        for m in list(rx.finditer(n)):
            parts = [m.group("y")] + [m.group(g) for g in ("m", "d") if g in rx.groupindex]
            date = "-".join(p if i == 0 else f"{int(p):02d}" for i, p in enumerate(parts))
            what = (n[: m.start()] + n[m.end() :]).strip(" ，,起")
            phrase = clause
            if not what and nxt is not None:  # "2023年，将…": the date belongs to the next clause
                phrase = _join(paragraph, clause, nxt)
                what = norm(nxt)
            kind = _kind(m, n, rx is _YEAR and not m.group("post"))
            item.dates.append(DateFact(_verbatim_what(what, clause, nxt), date, kind, phrase))
            n = n[: m.start()] + " " * (m.end() - m.start()) + n[m.end() :]
    return n


def _kind(m: re.Match, clause: str, year_only: bool) -> str:
    if m.group("post") in ("起", "开始") or m.group("pre") == "自":
        return "effective"
    for kind, words in _KIND_WORDS:
        if any(w in (m.group("post") or "") or w in clause[m.end() :] for w in words):
            return kind
    return "year" if year_only else "start"


def _verbatim_what(what: str, clause: str, nxt: str | None) -> str:
    """`what` read from normalised text; fall back to the clause itself when it came out empty."""
    what = what.strip(" ，,")
    return what or (nxt or clause)


def _join(paragraph: str, first: str, second: str) -> str:
    start = paragraph.find(first)
    end = paragraph.find(second, start + len(first))
    return paragraph[start : end + len(second)] if start >= 0 and end >= 0 else first


def _targets(item: Item, clause: str, normalised: str) -> None:
    pieces = [clause]
    if len(_QTY.findall(normalised)) > 1 and "、" in clause:
        pieces = [p for p in clause.split("、") if p.strip()]  # 更新健身园10个、新建排球场1个
    for piece in pieces:
        n = norm(piece) if len(pieces) > 1 else normalised
        for m in _RANGE.finditer(n):
            what = _clean_what(n[: m.start("v")] + n[m.end("u") :])
            old = number(m.group("v1")) if m.group("u1") == m.group("u") else None
            item.targets.append(
                Quantity(what or item.title, number(m.group("v")), m.group("u"), piece, old)
            )
            n = n[: m.start()] + " " * (m.end() - m.start()) + n[m.end() :]
        for m in _QTY.finditer(n):
            value, unit = m.group("v"), m.group("u")
            if unit == "年" and (len(value) == 4 or "." in value):
                continue  # a year, not a quantity
            what = _clean_what(n[: m.start()] + n[m.end() :])
            if number(value) <= 0:
                continue
            item.targets.append(Quantity(what or item.title, number(value), unit, piece))


def _clean_what(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"^(将|把)", "", text)
    return re.sub(r"(共计|共|达到|达|约|为)$", "", text).strip("，,、")


def _places(item: Item, clause: str) -> None:
    known = {name for name, _ in item.places}
    for seg in _PLACE_SPLIT.split(clause):
        seg = seg.strip()
        changed = True
        while changed:  # strip leading verbs and prepositions: 重点推动八纬路 -> 八纬路
            changed = False
            for v in _LEAD_VERBS:
                if seg.startswith(v) and len(seg) > len(v):
                    seg, changed = seg[len(v) :], True
        name = _place_name(seg)
        if name and name not in known:
            known.add(name)
            item.places.append((name, clause))


def _place_name(seg: str) -> str | None:
    for end in range(3, len(seg) + 1):
        head = seg[:end]
        if any(head.endswith(s) for s in _PLACE_SUFFIX):
            window = seg[: end + 1]  # 城 of 城市: look one character past the suffix
            if re.search(r"[\d０-９]", head) or any(g in window for g in _GENERIC_PLACE):
                return None
            if not re.fullmatch(r"[\u4e00-\u9fff]+", head):
                return None
            return head
    return None


def parse_announcement(text: str) -> tuple[str, list[Item]]:
    """(heading line, items) of an announcement, in any layout bot.staff.layouts reads."""
    heading = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return heading, [parse_item(r.number, r.source, r.title, r.body) for r in find_items(text)]
