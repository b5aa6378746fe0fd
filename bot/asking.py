"""Where the question sits, in the router's folded text: the asking clauses as q positions."""

from __future__ import annotations

import unicodedata

from bot import regexcache
from bot.clauses import asks, clauses, find_ask
from bot.hits import LATIN_WORD
from bot.text import normalise

LONG_MESSAGE = 60  # characters: beyond this a message is a story with a question at the end
_RUN = regexcache.compile(r"[^\w.\u4e00-\u9fff]+|_")  # what normalise() turns into one space
# A question mark on a clause with one of these already asks: no 吗 is implied.
_ANSWERED_BY = regexcache.compile(
    r"(吗|么|呢|吧|不|没|没有)$|什么|啥|哪|谁|几|多少|怎么|咋|如何|何"
)
_TRAILING = regexcache.compile(r"(?<=[\u4e00-\u9fff])[哦嘛啊呀哈啦嘞噻哟撒咯哇呐吖诶哎捏]+$")


def ask_span(lex, text: str, spoken: str, q: str) -> tuple[int, int, bool, list[str]]:
    """Where the question sits in q (start, end), whether a question mark said so, and
    its clauses as q slices.

    Residents tell what happened first and ask last; a salutation (网格员咨询：) opens;
    a question mark marks the asking clause wherever it is. Cues outside it count less."""
    raw = unicodedata.normalize("NFKC", text)
    parts = clauses(raw)
    if len(parts) < 2:
        return 0, len(q), False, [q]
    at = boundaries(lex, raw, spoken, q, parts)
    ask = find_ask(raw, story=len(q) >= LONG_MESSAGE)
    if ask is None:  # all of it asks; its last clause and each clause that asks are read
        # alone too (…严重扰民，我要投诉), not a told one (租房住好几年了 is no count so far)
        alone = [(s, e) for s, e, _ in parts[:-1] if asks(raw[s:e])] + [parts[-1][:2]]
        return 0, len(q), False, [q, *(q[at[s] : at[e]] for s, e in alone)]
    return (
        at[ask.start],
        max(at[ask.start], at[ask.end]),
        ask.marked,
        [q[at[s] : at[e]] for s, e in ask.parts],
    )


def boundaries(lex, raw: str, spoken: str, q: str, parts) -> dict[int, int]:
    """Raw clause boundary -> its position in q.

    Every run of punctuation or spaces in the raw text is one space in `spoken`; folding
    `spoken` with its spaces kept and counting gives each run's place in q in one pass.
    Where that does not line up (Latin words rewritten, a synonym across a boundary), each
    clause is folded alone instead."""
    runs = [m.span() for m in _RUN.finditer(raw)]
    spaced = lex.fold(spoken)
    segments = spaced.split(" ") if spaced else []
    inner = [r for r in runs if r[0] > 0 and r[1] < len(raw)]
    at: dict[int, int] = {0: 0, len(raw): len(q)}
    if (
        not LATIN_WORD.search(spoken)
        and len(segments) == len(inner) + 1
        and spaced.replace(" ", "") == q
    ):
        pos = 0
        for (s, e), seg in zip(inner, segments, strict=False):
            pos += len(seg)
            at[s] = at[e] = pos
        for s, e in runs:  # a leading or trailing run sits at the edge
            at.setdefault(s, 0 if s == 0 else len(q))
            at.setdefault(e, 0 if s == 0 else len(q))
        if all(s in at and e in at for s, e, _ in parts):
            return at
    at = {len(raw): len(q)}
    pos = 0
    for s, e, _ in parts:  # each clause folded alone: still linear in the text
        at.setdefault(s, min(pos, len(q)))
        pos += len(folded(lex, raw[s:e]))
        at[e] = min(pos, len(q))
    return at


def folded(lex, text: str) -> str:
    return lex.fold(lex.rewrite(normalise(text)).replace(" ", ""))


def as_question(clause: str, marked: bool) -> str:
    """One asking clause as the patterns read it: sentence-final particles off (修起没有哦 ->
    修起没有), and a question mark with no particle or question word read as 吗 (有他的份？)."""
    clause = _TRAILING.sub("", clause) if len(clause) > 3 else clause
    if marked and not _ANSWERED_BY.search(clause):
        clause += "吗"
    return clause
