"""Where the question sits in a message: its clauses, its question marks, its preface.

Residents tell first and ask last (我八十二了…有没有能帮上忙的？), open with a salutation
(网格员咨询：…, 敬启者：…) or ask first and explain after (能报销吗？我妈住院了). The router
weighs question words inside the asking clause fully and the rest as story; this module finds
that clause in the raw text, before punctuation is normalised away.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot import regexcache

# Punctuation ends a clause; so does a space between Chinese words (voice input and fast typing
# separate clauses with spaces: 逸庭苑改造完了没 我家楼道还是黑的).
_PUNCT = "，,。．！!？?；;：:\n、～~…"
_EMOJI = "\U0001f300-\U0001faff\u2600-\u27bf"  # emoji end clauses too
_GAP = r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])"
_CLAUSE_END = regexcache.compile(f"[{_PUNCT}{_EMOJI}]+|{_GAP}")
_PUNCT_END = regexcache.compile(f"[{_PUNCT}]+")
_CJK_GAP = regexcache.compile(_GAP)
_TAIL = regexcache.compile(f"[啊呀哦哈啦嘞噻哟撒咯哇呐吖诶哎捏\\s{_EMOJI}]+$")
WORD_SPACED = 4.0  # characters per space-separated piece: below this, spaces separate words
_QUESTION_MARK = regexcache.compile(r"[？?]")
_PREFACE = regexcache.compile(r"[：:]")
# 几 asks (几个, 几号) unless it means "several" (好几年, 十几个, 这几天).
_ASKS = regexcache.compile(
    r"吗|么|呢|什么|啥|哪|谁|(?<![好十这那前过近])几(?![乎十百千万])|多少|怎么|咋|如何|何|[能可]不"
    r"|[了完好]没有?$|(?<=[\u4e00-\u9fff])不$|([\u4e00-\u9fff])不\1"  # 改造完了没 / 能去不 / 收不收
)
PREFACE_CHARS = 14  # 兹有一事咨询：, 社区网格员请教：: a salutation, not the question
BARE = 5  # characters: 是真的吗, 能报吗 — a question that needs the clause before it
ASK_CHARS = 12  # the asking part of a story: its last clauses, at least this long


@dataclass(frozen=True)
class Ask:
    """The asking part of a message as a raw-text slice; `marked` when a question mark says so.
    `parts` are its clauses: 整好了没？能去了不？ asks twice, and each question is read alone."""

    start: int
    end: int
    marked: bool = False
    parts: tuple[tuple[int, int], ...] = ()


def clauses(text: str) -> list[tuple[int, int, str]]:
    """(start, end, delimiter) of every clause; end excludes the delimiter.

    A space between Chinese words ends a clause, unless the writer puts one between most words
    (我 爸爸 心脏 不好): then only punctuation does."""
    ends = _PUNCT_END if word_spaced(text) else _CLAUSE_END
    out, pos = [], 0
    for m in ends.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start(), m.group(0)))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text), ""))
    return out


def word_spaced(text: str) -> bool:
    """A space between most words (我 爸爸 心脏 不好): a signer's or a careful typist's habit,
    not clause breaks."""
    gaps = len(_CJK_GAP.findall(text))
    return gaps >= 3 and len(text) / (gaps + 1) < WORD_SPACED


def asks(clause: str) -> bool:
    """Does this clause ask something (a question word or particle), rather than tell?
    A particle or emoji at the end does not hide the question (完事了没有啊😂)."""
    return bool(_ASKS.search(_TAIL.sub("", clause)))


def find_ask(text: str, story: bool) -> Ask | None:
    """The asking clause(s) of `text` (NFKC'd raw), or None when all of it asks.

    A question mark marks its clause (the last one marked, with a short clause before it when
    it is only a few characters, 那个呢？); without one, a story (`story`: long enough to
    tell one) asks in its last clauses. A leading salutation ending in a colon never asks."""
    text = unicodedata.normalize("NFKC", text)
    parts = clauses(text)
    if len(parts) < 2:
        return None
    first_start = 0
    s0, e0, d0 = parts[0]
    if _PREFACE.search(d0) and e0 - s0 <= PREFACE_CHARS:
        first_start = 1  # 网格员咨询：… — the salutation's 咨询 does not ask about applying
    marked = [k for k, (_, _, d) in enumerate(parts) if _QUESTION_MARK.search(d)]
    marked = [k for k in marked if k >= first_start]
    if marked:
        k = j = marked[-1]
        while j > first_start and (
            parts[k][1] - parts[j][0] < ASK_CHARS or _QUESTION_MARK.search(parts[j - 1][2])
        ):
            ps, pe, pd = parts[j - 1]
            if (
                not _QUESTION_MARK.search(pd)
                and pe - ps > ASK_CHARS
                and not _ASKS.search(text[ps:pe])
                and parts[k][1] - parts[j][0] > BARE
            ):
                break  # a long told clause before a question: story — unless the question is
                # bare (是真的吗？ 能报吗？) and asks about that very clause
            j -= 1  # 卫生间门太窄，有办法吗？ / 修好了没？能用了不？
        end = k + 1
        while end < len(parts) and _ASKS.search(text[parts[end][0] : parts[end][1]]):
            end += 1  # 服务站在哪儿？怎么联系: the unmarked question after the mark asks too
        spans = tuple((s, e) for s, e, _ in parts[j:end])
        return Ask(parts[j][0], parts[end - 1][1], marked=True, parts=spans)
    if story:
        start = parts[-1][0]
        for s, _e, _ in reversed(parts[first_start:-1]):
            if parts[-1][1] - start >= ASK_CHARS:
                break
            start = s
        return Ask(start, len(text), parts=((start, len(text)),))
    if first_start:
        return Ask(parts[1][0], len(text), parts=((parts[1][0], len(text)),))
    return None
