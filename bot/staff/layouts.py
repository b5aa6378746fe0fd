"""Find the numbered items of an announcement, whatever its layout.

Layouts read: 一、 / 第一项 / 项目一： / （一） / 1. paragraphs, 一是…二是… inside one paragraph,
section headings above the items (一、就业 … （一）稳岗…), Markdown and tab-separated tables.
Each item keeps its verbatim text; anything that cannot be read is refused with its line number
and what was expected there.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.text import chinese_to_int

_CN = "零〇一二两三四五六七八九十百"
_STYLES = {
    "di": rf"第(?P<di>[{_CN}\d０-９]+)项[，,、：:．.\s　]*",
    "xiangmu": rf"项目(?P<xiangmu>[{_CN}\d０-９]+)[：:、，,．.\s　]+",
    "dun": rf"(?P<dun>[{_CN}]+)、",
    "paren": rf"[（(](?P<paren>[{_CN}\d０-９]+)[）)]\s*",
    "arabic": r"(?P<arabic>[\d０-９]{1,2})[、．.](?!\d)\s*",
}
_MARKER = re.compile(
    r"(?:^|(?<=[\n。；;：:\s]))[ \t\u3000]*(?:" + "|".join(_STYLES.values()) + ")", re.M
)
# 一是…，二是…: a list inside one paragraph, its parts also after a comma.
_SHI = re.compile(rf"(?:^|(?<=[\n。；;：:\s，,]))(?P<shi>[{_CN}]{{1,3}})是(?![否不])", re.M)
_STYLES["shi"] = _SHI.pattern
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u3000]*\n")
_HEADING_END = re.compile(r"[。：:；;！!\n]")
_TRAILING_QTY = re.compile(r"[\d０-９.．]+(?:万|亿)?[\u4e00-\u9fff%]{0,3}$")
_FIRST_CLAUSE_END = re.compile(r"[，,。；;：:！!\n]")
EXPECTED = (
    "以 一、/第一项/项目一：/（一）/1. 开头的段落，“一是…二是…”，"
    "或第一列为序号的表格（Markdown 的 | 或制表符分列）"
)


class LayoutError(Exception):
    """The announcement's items cannot be read; the message names the line and what was expected."""


@dataclass(frozen=True)
class RawItem:
    number: int
    source: str  # verbatim
    title: str
    body: str  # what facts are read from (verbatim substrings of source)
    line: int


@dataclass(frozen=True)
class _Mark:
    style: str
    number: int
    start: int  # where the marker's text begins (after leading blanks)
    end: int  # where the item's text begins
    line_start: bool


def _num(raw: str) -> int | None:
    raw = unicodedata.normalize("NFKC", raw)
    return int(raw) if raw.isdigit() else chinese_to_int(raw)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _line(text: str, k: int) -> str:
    lines = text.splitlines()
    return lines[k - 1].strip()[:40] if 0 < k <= len(lines) else ""


def _marks(text: str) -> list[_Mark]:
    out = []
    found = sorted([*_MARKER.finditer(text), *_SHI.finditer(text)], key=lambda m: m.start())
    for m in found:
        style = next(s for s in _STYLES if s in m.re.groupindex and m.group(s))
        n = _num(m.group(style))
        if n is None:
            continue
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip(" \t\u3000"))
        before = text[text.rfind("\n", 0, start) + 1 : start]
        out.append(_Mark(style, n, start, m.end(), not before.strip()))
    return out


def _sequence(marks: list[_Mark], style: str) -> list[_Mark]:
    """The style's markers numbered 1, 2, 3…; a 1 after another style's line (a section
    heading) continues the count, so items under sections number on."""
    seq: list[_Mark] = []
    expected, section_between = 1, False
    for m in marks:
        if m.style != style:
            section_between = section_between or m.line_start
            continue
        if m.number == expected or (m.number == 1 and seq and section_between and m.line_start):
            seq.append(m)
            expected = m.number + 1
            section_between = False
    return seq


def _check_gaps(text: str, marks: list[_Mark], style: str, seq: list[_Mark]) -> None:
    """A line-start marker of the items' style that is not in the sequence: a skipped number."""
    chosen = {id(m) for m in seq}
    for m in marks:
        if m.style != style or id(m) in chosen or not m.line_start:
            continue
        prev = [s for s in seq if s.start < m.start]
        want = prev[-1].number + 1 if prev else 1
        if m.number != want and m.number > (prev[-1].number if prev else 0):
            k = line_of(text, m.start)
            raise LayoutError(
                f"第{k}行「{_line(text, k)}」：编号是 {m.number}，这里应为第{want}项"
                f"（前一项是第{want - 1}项）；请补上缺的项目或改正编号"
            )


def find_items(text: str) -> list[RawItem]:
    """The announcement's items, numbered 1..N, each with its verbatim source and title."""
    table = _table_items(text)
    if table:
        return table
    marks = _marks(text)
    best: list[_Mark] = []
    style = ""
    for s in _STYLES:
        seq = _sequence(marks, s)
        # 一是…二是… inside the items of a 一、二、 list are the items' own points: the inline
        # style wins only where no other style numbers two items or more.
        inline_loses = s == "shi" and len(best) >= 2
        if len(seq) > len(best) and not inline_loses:
            best, style = seq, s
    if not best:
        return []
    _check_gaps(text, marks, style, best)
    # Items end at the next item, at a section heading (another style at a line start) or at
    # a blank line (a signature or note after the last item).
    stops = sorted(
        {m.start for m in best}
        | {
            m.start
            for m in marks
            if m.style != style and m.line_start and _in_some_sequence(m, marks)
        }
    )
    items = []
    for k, m in enumerate(best, 1):
        end = next((s for s in stops if s > m.start), len(text))
        gap = _PARAGRAPH_BREAK.search(text, m.start, end)
        source = text[m.start : gap.start() if gap else end].strip()
        rest = text[m.end : m.start + len(source)]
        title, body = _title(rest, style)
        items.append(RawItem(k, source, title, body, line_of(text, m.start)))
    return items


def _in_some_sequence(m: _Mark, marks: list[_Mark]) -> bool:
    return any(x is m for x in _sequence(marks, m.style))


def _title(rest: str, style: str) -> tuple[str, str]:
    """(title, body). 一是新建社区食堂10个，…: the first clause names the item and is a fact too."""
    if style == "shi":
        end = _FIRST_CLAUSE_END.search(rest)
        title = (rest[: end.start()] if end else rest).strip()
        named = _TRAILING_QTY.sub("", title)  # 新建社区食堂10个 -> 新建社区食堂; 10个 stays a fact
        return named if len(named) >= 2 else title, rest.strip()
    end = _HEADING_END.search(rest)
    if end is None:
        return rest.strip(), ""
    return rest[: end.start()].strip(" \u3000，,"), rest[end.end() :].strip()


# ---- tables -------------------------------------------------------------------------------
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}")


def _cells(line: str) -> list[str] | None:
    if line.count("|") >= 2:
        cells = line.strip().strip("|").split("|")
    elif line.count("\t") >= 2:
        cells = line.split("\t")
    else:
        return None
    return [c.strip() for c in cells]


def _table_items(text: str) -> list[RawItem]:
    """Rows of a Markdown or tab-separated table whose first cell is a serial number."""
    rows = []
    for k, line in enumerate(text.splitlines(), 1):
        cells = _cells(line)
        if cells is None or _SEPARATOR.match(line):
            continue
        rows.append((k, line.strip(), cells))
    if len(rows) < 2:
        return []
    items = []
    for k, line, cells in rows:
        serial = _num(cells[0].rstrip("、.．")) if cells[0] else None
        if serial is None:
            if not items:
                continue  # the header row
            raise LayoutError(f"第{k}行「{line[:40]}」：表格第一列应为序号（{len(items) + 1}）")
        if serial != len(items) + 1:
            raise LayoutError(f"第{k}行「{line[:40]}」：序号是 {serial}，这里应为 {len(items) + 1}")
        content = [c for c in cells[1:] if c]
        if not content:
            raise LayoutError(f"第{k}行「{line[:40]}」：序号后面应有项目名称和内容")
        # Cells are verbatim pieces of the row: facts read from each stay quotable.
        items.append(RawItem(serial, line, content[0], "。".join(content[1:]), k))
    return items
