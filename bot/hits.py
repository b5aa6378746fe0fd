"""What the router found in a message: hits of lexicon words, tokens, and sets over them."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from bot import regexcache

# Content means letters or ideographs other than measure words; 25万 or 2023年 alone is not a topic.
CONTENT = regexcache.compile(r"[\u4e00-\u9fffa-z](?<![万年月日个项号])")
LATIN_WORD = regexcache.compile(r"[a-z]+")  # after normalise: lower case


class Hit(NamedTuple):
    """A lexicon word found in the text (a tuple: a message makes dozens, and a frozen
    dataclass's __init__ costs ~3x a tuple's)."""

    start: int
    end: int
    key: str
    channel: str  # exact | pinyin | fuzzy
    factor: float = 1.0

    @property
    def length(self) -> int:
        return self.end - self.start


Span = tuple[str, int, int]  # a token and where it sits in the normalised text


def non_overlapping(hits: list[Hit]) -> list[Hit]:
    """Longest match first, exact before pinyin: 灵活就业人员 beats 就业 inside it."""
    chosen, taken = [], set()
    for h in sorted(hits, key=lambda h: (-h.length, h.channel != "exact", h.start)):
        span = range(h.start, h.end)
        if not any(k in taken for k in span):
            chosen.append(h)
            taken.update(span)
    return chosen


def not_contained(hits: list[Hit]) -> list[Hit]:
    """Cues may overlap (是哪 + 哪年), but one inside a longer cue (哪些 in 哪些人) does not count."""
    ordered = sorted(hits, key=lambda h: (-h.length, h.channel != "exact", h.start))
    chosen: list[Hit] = []
    for h in ordered:
        if not any(c.start <= h.start and h.end <= c.end for c in chosen):
            chosen.append(h)
    return chosen


def spans(tokens: list[str], q: str) -> list[Span]:
    """Place each segmented token in the text once, for every later pass to share."""
    out, pos = [], 0
    for tok in tokens:
        start = q.find(tok, pos)
        if start >= 0:
            pos = start + len(tok)
            out.append((tok, start, pos))
    return out


def inside_other_words(tokens: list[Span], entries) -> Callable[[Hit], bool]:
    """A test: does this hit sit strictly inside a longer word the segmenter knows and the
    lexicon does not (老年 in 老年大学, 大学 in 老年大学)? Such a word is another thing."""
    foreign = [(s, e) for tok, s, e in tokens if len(tok) >= 3 and tok not in entries]

    def inside(h: Hit) -> bool:
        return any(s <= h.start and h.end <= e and e - s > h.length for s, e in foreign)

    return inside


def other_kinds(tokens: list[Span], covered: set[int], entries, stopwords) -> list[int]:
    """Where a shared word is qualified by a word we do not know (以旧换新补贴, 育儿补贴): an
    allowance, training or insurance of another kind, not the list's own."""
    out = []
    for (prev, ps, pe), (tok, start, _) in zip(tokens, tokens[1:], strict=False):
        entry = entries.get(tok)
        if entry is None or not entry.topic or len(prev) < 2 or not CONTENT.search(prev):
            continue
        known = prev in entries or prev in stopwords
        if not known and not any(k in covered for k in range(ps, pe)):
            out.append(start)
    return out


def latin_words(spoken: str) -> frozenset[str]:
    """The Latin words of a message and runs of up to three (how much -> howmuch)."""
    words = LATIN_WORD.findall(spoken)
    return frozenset("".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words)))


def positions(hits: list[Hit]) -> set[int]:
    """Every text position these hits cover."""
    return {k for h in hits for k in range(h.start, h.end)}
