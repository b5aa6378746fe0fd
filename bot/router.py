"""Route a resident's words to (project, intent): score every candidate, fall back only when none fits."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.kb.model import KnowledgeBase
from bot.lexicon import PINYIN_FACTOR, Lexicon, char_pinyin
from bot.models import PROJECT_INTENTS, Alternative, Route
from bot.text import normalise

MAX_CHARS = 600  # a resident's story fits (issue 10); longer ones are asked to shorten
MIN_PROJECT_SCORE = 1.2  # below this a project match is a stray sub-word
AMBIGUOUS_RATIO = 0.75  # second within 75% of the first: offer a choice
ORDINAL_SCORE = 5.0
SPECIAL_CUE = 4.0  # (un)subscribe cues this strong decide the intent whatever else matched
RECENCY_BONUS = 0.25  # Chinese questions end with the ask: 免费医疗怎么办理 is about applying
FUZZY_CUTOFF = 80
# Content means letters or ideographs other than measure words; 25万 or 2023年 alone is not a topic.
_CONTENT = re.compile(r"[\u4e00-\u9fffa-z](?<![万年月日个项号])")
_ORDINAL = re.compile(r"第(\d{1,2})(项|个项目|号项目)")
_ELLIPSIS = re.compile(r"(呢|那|那个|还有)$")
_ANAPHORA = re.compile(r"(这个|那个|这项|那项|该|此)(项目|工程|事)?")
NON_PROJECT_INTENTS = ("list", "help", "greeting", "human")


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    key: str
    channel: str  # exact | pinyin | fuzzy
    factor: float = 1.0

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Analysis:
    """A route plus what the dialogue layer needs to decide about context."""

    route: Route
    cue_intent: str | None = None  # what the cue words ask (怎么申请 -> apply), project or not
    unknown_words: tuple[str, ...] = ()  # content words the lexicon does not know
    off_topic: bool = False  # an out-of-scope word (天气, 护照) was present
    elliptical: bool = False  # 排球场呢 — asks the previous question about something else
    anaphora: bool = False  # 这个项目

    @property
    def intent_cue(self) -> bool:
        return self.cue_intent is not None


class Router:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.lex = Lexicon(kb)

    def route(self, text: str) -> Route:
        return self.analyse(text).route

    def analyse(self, text: str) -> Analysis:
        """Understand one message on its own, without dialogue context."""
        if len(text) > MAX_CHARS:
            return Analysis(Route(None, "out_of_scope", 0.0, too_long=True))
        q = self.lex.fold(normalise(text).replace(" ", ""))
        if not q:
            return Analysis(Route(None, "help", 0.0))
        hits = self._hits(q)
        project_hits = _non_overlapping([h for h in hits if self.lex.entries[h.key].projects])
        cue_hits = _not_contained([h for h in hits if self.lex.entries[h.key].cues])
        oos_hits = _non_overlapping(
            [h for h in hits if self.lex.entries[h.key].oos and h.channel == "exact"]
        )
        covered = _covered(project_hits + cue_hits + oos_hits)
        tokens = _spans(self.lex.segmenter.cut(q, False), q)
        project_hits += self._fuzzy(tokens, covered, self.lex.project_term_list)
        cue_hits += self._fuzzy(tokens, covered, self.lex.cue_list)
        covered = _covered(project_hits + cue_hits + oos_hits)

        pscores: dict[int, float] = defaultdict(float)
        for h in project_hits:
            for n, w in self.lex.entries[h.key].projects.items():
                pscores[n] += w * h.factor
        iscores: dict[str, float] = defaultdict(float)
        for h in cue_hits:
            bonus = 1.0 + RECENCY_BONUS * h.end / len(q)
            for intent, w in self.lex.entries[h.key].cues:
                iscores[intent] += w * h.factor * bonus
        for pattern, intent, w in self.lex.patterns:
            if pattern.search(q):
                iscores[intent] += w
        unknown = tuple(self._unknown(tokens, covered))
        for m in _ORDINAL.finditer(q):  # 第10项 names a project by its number in the list
            if int(m.group(1)) in self.kb.projects:
                pscores[int(m.group(1))] += ORDINAL_SCORE
        oos_score = sum(self.lex.entries[h.key].oos for h in oos_hits)
        route = self._decide(pscores, iscores, oos_score, unknown)
        return Analysis(
            route,
            cue_intent=_cue_intent(iscores),
            unknown_words=unknown,
            off_topic=bool(oos_hits),
            elliptical=bool(_ELLIPSIS.search(q)) and not any(i in iscores for i in PROJECT_INTENTS),
            anaphora=bool(_ANAPHORA.search(q)),
        )

    def _hits(self, q: str) -> list[Hit]:
        entries, by_pinyin, n = self.lex.entries, self.lex.by_pinyin, len(q)
        py = [char_pinyin(c) for c in q]
        hits = []
        for i in range(n):
            key_py = py[i]
            for j in range(i + 1, min(n, i + self.lex.max_len) + 1):
                if j > i + 1:
                    key_py = key_py + " " + py[j - 1]
                w = q[i:j]
                if w in entries:
                    hits.append(Hit(i, j, w, "exact"))
                elif j - i >= 2 and key_py in by_pinyin and w not in self.lex.stopwords:
                    hits.append(Hit(i, j, by_pinyin[key_py], "pinyin", PINYIN_FACTOR))
        return hits

    def _fuzzy(self, tokens: list[Span], covered: set[int], choices: list[str]) -> list[Hit]:
        """Near-miss spellings the pinyin channel cannot fix (a dropped or extra character)."""
        out = []
        for tok, start, end in tokens:
            if len(tok) < 3 or any(k in covered for k in range(start, end)):
                continue
            best = process.extractOne(tok, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if best:
                out.append(Hit(start, end, best[0], "fuzzy", best[1] / 100 * 0.8))
        return out

    def _unknown(self, tokens: list[Span], covered: set[int]) -> list[str]:
        out = []
        for tok, start, end in tokens:
            if tok in self.lex.stopwords or not _CONTENT.search(tok):
                continue
            if all(k in covered for k in range(start, end)):
                continue
            rest = "".join(c for k, c in enumerate(tok, start) if k not in covered)
            if (
                rest
                and rest not in self.lex.stopwords
                and not all(c in self.lex.stopwords for c in rest)
            ):
                out.append(tok)
        return out

    def _decide(self, pscores, iscores, oos_score, unknown) -> Route:
        ranked = sorted(pscores.items(), key=lambda kv: (-kv[1], kv[0]))
        top_n, top = ranked[0] if ranked else (None, 0.0)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        has_project = top >= MIN_PROJECT_SCORE
        alternatives: tuple[Alternative, ...] = ()
        if has_project and second >= AMBIGUOUS_RATIO * top:
            alternatives = tuple(
                Alternative(n, round(s, 3)) for n, s in ranked[:3] if s >= AMBIGUOUS_RATIO * top
            )

        for special in ("unsubscribe", "subscribe"):
            if iscores.get(special, 0) >= SPECIAL_CUE:
                return Route(top_n if has_project else None, special, 0.9, alternatives)
        if oos_score and oos_score > top:
            return Route(None, "out_of_scope", round(min(1.0, oos_score / 5), 3))

        if has_project:
            intent, iscore = _best(iscores, PROJECT_INTENTS)
            if intent is None:
                intent = "overview"
            strength = min(1.0, top / 3.0)
            margin = (top - second) / top
            conf = strength * (0.3 + 0.7 * margin)  # a tie is never above 0.3
            return Route(top_n, intent, round(conf, 3), alternatives)
        intent, iscore = _best(iscores, NON_PROJECT_INTENTS)
        if intent and iscore >= 1.5:
            return Route(None, intent, round(min(1.0, iscore / 3.0), 3))
        intent, iscore = _best(iscores, PROJECT_INTENTS)
        if intent and top > 0 and not oos_score:
            # Only weak words (急救 is in two projects): a guess, offered as a choice.
            weak = tuple(
                Alternative(n, round(s, 3)) for n, s in ranked[:3] if s >= AMBIGUOUS_RATIO * top
            )
            return Route(top_n, intent, round(0.3 * top / MIN_PROJECT_SCORE, 3), weak)
        if intent and not unknown:
            # 怎么申请 with no project named: the dialogue layer supplies one or asks which.
            return Route(None, intent, round(min(1.0, iscore / 3.0) * 0.5, 3))
        return Route(None, "out_of_scope", round(1.0 - min(1.0, top / 3.0) * 0.5, 3))


def _cue_intent(iscores: dict[str, float]) -> str | None:
    """The project question the cue words ask, if any (subscribing counts as one)."""
    for special in ("unsubscribe", "subscribe"):
        if iscores.get(special, 0) >= SPECIAL_CUE:
            return special
    return _best(iscores, PROJECT_INTENTS)[0]


def _best(scores: dict[str, float], allowed) -> tuple[str | None, float]:
    best, best_score = None, 0.0
    for intent in allowed:  # order breaks ties: earlier intents win
        s = scores.get(intent, 0.0)
        if s > best_score:
            best, best_score = intent, s
    return best, best_score


def _non_overlapping(hits: list[Hit]) -> list[Hit]:
    """Longest match first, exact before pinyin: 灵活就业人员 beats 就业 inside it."""
    chosen, taken = [], set()
    for h in sorted(hits, key=lambda h: (-h.length, h.channel != "exact", h.start)):
        span = range(h.start, h.end)
        if not any(k in taken for k in span):
            chosen.append(h)
            taken.update(span)
    return chosen


def _not_contained(hits: list[Hit]) -> list[Hit]:
    """Cues may overlap (是哪 + 哪年), but one inside a longer cue (哪些 in 哪些人) does not count."""
    ordered = sorted(hits, key=lambda h: (-h.length, h.channel != "exact", h.start))
    chosen: list[Hit] = []
    for h in ordered:
        if not any(c.start <= h.start and h.end <= c.end for c in chosen):
            chosen.append(h)
    return chosen


Span = tuple[str, int, int]  # a token and where it sits in the normalised text


def _spans(tokens: list[str], q: str) -> list[Span]:
    """Place each segmented token in the text once, for every later pass to share."""
    out, pos = [], 0
    for tok in tokens:
        start = q.find(tok, pos)
        if start >= 0:
            pos = start + len(tok)
            out.append((tok, start, pos))
    return out


def _covered(hits: list[Hit]) -> set[int]:
    return {k for h in hits for k in range(h.start, h.end)}
