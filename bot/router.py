"""Route a resident's words to (project, intent): score every candidate, fall back only when none fits."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot import regexcache
from bot.asking import as_question, ask_span
from bot.clauses import word_spaced
from bot.decide import Evidence, cue_intent, decide
from bot.hits import (
    CONTENT,
    Hit,
    Span,
    inside_other_words,
    latin_words,
    non_overlapping,
    not_contained,
    other_kinds,
    positions,
    spans,
)
from bot.intents import PROJECT_INTENTS
from bot.kb.model import KnowledgeBase
from bot.lexicon import PINYIN_FACTOR, Lexicon
from bot.models import Route
from bot.pinyin import pinyin_codes
from bot.regexkeys import KeyIndex
from bot.text import normalise

MAX_CHARS = 600  # residents' stories run to 300+ characters; beyond this, a polite ask to shorten
ORDINAL_SCORE = 5.0
STORY_FACTOR = 0.3  # question words in the story part of a long message count this much
RECENCY_BONUS = 0.25  # Chinese questions end with the ask: 免费医疗怎么办理 is about applying
FUZZY_CUTOFF = 80
EXAMPLE_CUTOFF = 85  # fuzz.ratio to an accepted phrasing: that phrasing or a near variant
RELATED_SCORE = 1.25  # a name, or a situation of 3+ characters (坐轮椅): enough to mention it
_ORDINAL = regexcache.compile(r"第(\d{1,4})(项|个项目|号项目)")
_ELLIPSIS = regexcache.compile(r"(呢|那|那个|还有)$")
_ANAPHORA = regexcache.compile(r"(这个|那个|这项|那项|该|此)(项目|工程|事)?")
_INCLUDES = regexcache.compile(
    r"包括|包含|有没有|有无|含不含|带不带|涉及|会不会|会\S{0,4}(吗|么)$|期间|管不管|还管|也管|是吧"
)
# A road's name: two to five characters before 路/大街/大道/街 (not 街道, a subdistrict office).
_ROAD = regexcache.compile(r"[\u4e00-\u9fff\d]{2,5}(?:路|大街|大道|街)(?![道域坊面区口边灯段上])")
_ROAD_LEAD = regexcache.compile(r"[那这条的个段上边口在到走去从和与及是修了把往沿过门前家住我你他]")
_ANY_ROAD = ("马路", "大路", "公路", "小路", "道路")
UNKNOWN_ROAD = 3.0  # yields to a named project (万东路 in the same story), beats 坑坑洼洼
# 是不是/算不算 ask, not deny.
_NEGATED = regexcache.compile(r"((?<!是)不是|(?<!算)不算|并非|不属于)$")
_LACKED = regexcache.compile(r"(没|没有|无)$")
_HELD = regexcache.compile(r"(?<![没无])有$")
_HELD_AFTER = regexcache.compile(r"有(?!什么|啥|哪|没|吗|多|用|效|几|关|问|时|人|的)")
# 物业说管子老了: who said it, not what is asked about (another service's name as a speaker).
_SPEAKER = regexcache.compile(r"(说|讲|告诉|通知|让我|叫我|给我们说)")
NEAREST_MEMO = 4096  # words per list whose nearest spelling is kept (~0.5 MB at most)
_UNSEEN = object()


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


def _is_latin_word(key: str) -> bool:
    """LATIN_WORD.fullmatch(key) (all a-z), as three string tests: a third of a regex call."""
    return key.isascii() and key.isalpha() and key.islower()


class Router:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.lex = Lexicon(kb)
        # Per pattern: characters every match contains (skip the search when the text has
        # none of them), or None (always search). Reading them from a parse costs ~10 ms for
        # all; regexcache keeps them per machine, so a warm start only looks them up.
        self._intents = KeyIndex(
            [regexcache.required_chars(p.pattern) for p, _, _ in self.lex.patterns]
        )
        self._oos = KeyIndex(
            [regexcache.required_chars(p.pattern) for p, _ in self.lex.oos_patterns]
        )
        # A word's nearest lexicon spelling, per list (it depends on the word and the list
        # alone): a resident's words recur across questions, most questions do not.
        self._nearest: dict[int, dict[str, tuple | None]] = {
            id(self.lex.project_term_list): {},
            id(self.lex.cue_list): {},
        }

    def route(self, text: str) -> Route:
        return self.analyse(text).route

    def analyse(self, text: str) -> Analysis:
        """Understand one message on its own, without dialogue context."""
        if len(text) > MAX_CHARS:
            return Analysis(Route(None, "out_of_scope", 0.0, too_long=True))
        spoken = self.lex.rewrite(normalise(text))
        q = self.lex.fold(spoken.replace(" ", ""))
        if not q:
            return Analysis(Route(None, "help", 0.0))
        a, b, marked, questions = ask_span(self.lex, text, spoken, q)
        hits = self._hits(q, latin_words(spoken))
        entries = self.lex.entries
        tokens = spans(self.lex.segmenter.cut(q, False), q)
        # A homophone reading must start and end where words do: 退一点 is 退 + 一点, not 退役.
        edges = {0, len(q)} | {k for _, s, e in tokens for k in (s, e)}
        hits = [h for h in hits if h.channel != "pinyin" or (h.start in edges and h.end in edges)]
        # 老年大学 is a word of its own: the 老年 and 大学 inside it name nothing of ours.
        inside = inside_other_words(tokens, entries)
        project_hits = non_overlapping(
            [h for h in hits if entries[h.key].projects and not inside(h)]
        )
        cue_hits = not_contained([h for h in hits if entries[h.key].cues])
        oos_hits = non_overlapping([h for h in hits if entries[h.key].oos and h.channel == "exact"])
        covered = positions(project_hits + cue_hits + oos_hits)
        project_hits += self._fuzzy(tokens, covered, self.lex.project_term_list)
        cue_hits += self._fuzzy(tokens, covered, self.lex.cue_list)
        covered = positions(project_hits + cue_hits + oos_hits)

        ev = Evidence()
        said: set[str] = set()
        for h in project_hits:
            if h.key in said:
                continue  # 租房 told twice in a story is still one piece of evidence
            said.add(h.key)
            entry = entries[h.key]
            if _NEGATED.search(q, max(0, h.start - 4), h.start):
                continue  # 我不是困难户: a situation or status denied is not the resident's
            # The thing asked about sits in the asking clause (改造的公厕啥时候能用上？我只能用
            # 无障碍厕位): its names count more than those of the story around it.
            asked = (a, b) != (0, len(q)) and a <= h.start and h.end <= b
            for n, w in entry.projects.items():
                ev.projects[n] += w * h.factor
                if asked:
                    ev.asked[n] += w * h.factor
                if h.channel == "exact" and not entry.piece and w >= RELATED_SCORE:
                    ev.related.add(n)  # a name or a situation said as such, not a stray piece
                if entry.situation:
                    ev.situational = True
                elif h.channel != "fuzzy":
                    ev.named = max(ev.named, w * h.factor)
                    if not entry.piece:
                        ev.named_by[n] = max(ev.named_by.get(n, 0.0), w * h.factor)
        iscores: dict[str, float] = defaultdict(float)
        told = self.lex.narrative_spans(q)  # 去年底关门了: a time told, not asked
        for h in cue_hits:
            if any(s <= h.start and h.end <= e for s, e in told):
                continue
            bonus = 1.0 + RECENCY_BONUS * h.end / len(q)
            outside = h.start < a or h.end > b
            for intent, w in entries[h.key].cues:
                # A complaint is a complaint wherever it is said (我要投诉，…找谁管？).
                story = STORY_FACTOR if outside and intent != "human" else 1.0
                iscores[intent] += w * h.factor * bonus * story
        # The asking part whole (我家…，能给更新不) and each of its questions alone (修好了没？能用了不？)
        # One line each, searched once: the lexicon compiles patterns with ^ and $ per line.
        asked = "\n".join(as_question(c, marked) for c in dict.fromkeys((q[a:b], *questions)) if c)
        whole = (a, b) == (0, len(q))
        in_asked, in_q = set(asked), set(q)
        patterns, keys = self.lex.patterns, self._intents.keys
        if whole:  # the candidates are the patterns whose keys the asked text has: search only
            for i in self._intents.candidates(in_asked):
                pattern, intent, w = patterns[i]
                if pattern.search(asked):
                    iscores[intent] += w
        else:
            for i in self._intents.candidates(in_asked | in_q):
                pattern, intent, w = patterns[i]
                if (keys[i] is None or not keys[i].isdisjoint(in_asked)) and pattern.search(asked):
                    iscores[intent] += w
                elif (keys[i] is None or not keys[i].isdisjoint(in_q)) and pattern.search(q):
                    iscores[intent] += w * (1.0 if intent == "human" else STORY_FACTOR)
        unknown = tuple(self._unknown(tokens, covered))
        for m in _ORDINAL.finditer(q):  # 第10项 names a project by its number in the list
            if int(m.group(1)) in self.kb.projects:
                ev.projects[int(m.group(1))] += ORDINAL_SCORE
                ev.named = max(ev.named, ORDINAL_SCORE)

        # Another service in an aside after the question (…，现在学校门口天天堵车) counts less
        # than one asked about; before the question it is often the topic (想考个驾照…上哪报名).
        # A road outside the question is where the resident lives (我们家住在新开路那边).
        def after(start: int) -> float:
            return STORY_FACTOR if not whole and start >= b else 1.0

        def outside(start: int, end: int) -> float:
            return STORY_FACTOR if not whole and (end <= a or start >= b) else 1.0

        spaced = word_spaced(text)  # 我 聋 残疾证 有: sign-language order, "I have" after
        oos_weights = [
            entries[h.key].oos * after(h.start) * (STORY_FACTOR if _SPEAKER.match(q, h.end) else 1)
            for h in oos_hits
            if not _LACKED.search(q, max(0, h.start - 2), h.start)  # 没退休金: told, not asked
            # a signer's 残疾证 有 / 有 残疾证: what they have, told
            and not (spaced and (_HELD_AFTER.match(q, h.end) or _HELD.search(q, 0, h.start)))
        ]
        oos_weights += [UNKNOWN_ROAD * outside(m.start(), m.end()) for m in self._unknown_roads(q)]
        ev.other_kind = bool(other_kinds(tokens, covered, entries, self.lex.stopwords))
        before_aside = q[:b]
        oos_patterns = self.lex.oos_patterns
        oos_weights += [
            w if whole or pattern.search(before_aside) else w * STORY_FACTOR
            for pattern, w in (oos_patterns[i] for i in self._oos.candidates(in_q))
            if pattern.search(q)
        ]
        ev.oos = sum(oos_weights)
        ev.oos_max = max(oos_weights, default=0.0)
        ev.includes = bool(oos_weights) and bool(_INCLUDES.search(q))
        topic_hits = [h for h in hits if h.channel == "exact" and entries[h.key].topic]
        for h in topic_hits:
            for n, share in entries[h.key].topic.items():
                ev.topics[n] += share
        if topic_hits:  # only asked when nothing else decides (a bare 补贴)
            ev.topic_unknown = lambda: self._unknown(tokens, covered | positions(topic_hits))
        ev.example = self._example(q)
        route = decide(ev, iscores, unknown)
        return Analysis(
            route,
            cue_intent=cue_intent(iscores),
            unknown_words=unknown,
            off_topic=bool(oos_weights),
            elliptical=bool(_ELLIPSIS.search(q)) and not any(i in iscores for i in PROJECT_INTENTS),
            anaphora=bool(_ANAPHORA.search(q)),
        )

    def _unknown_roads(self, q: str) -> list[re.Match]:
        """Road names the KB does not know (十一经路): the list builds named roads only, so a
        question about another road is outside it, unless a known project is named as well."""
        out = []
        for m in _ROAD.finditer(q):
            name = _ROAD_LEAD.split(m.group(0))[-1]
            if len(name) < 3 or name[:-1] in self.lex.stopwords or name.endswith(_ANY_ROAD):
                continue  # 大马路, 公路: a kind of road, not a name
            if not any(name in k or k in name for k in self.lex.road_names):
                out.append(m)
        return out

    def _example(self, q: str):
        """The accepted phrasing this message repeats or nearly repeats, if any."""
        if not self.lex.examples:
            return None
        best = process.extractOne(
            q, self.lex.example_keys, scorer=fuzz.ratio, score_cutoff=EXAMPLE_CUTOFF
        )
        return (self.lex.examples[best[2]], best[1]) if best else None

    def _hits(self, q: str, latin: frozenset[str] = frozenset()) -> list[Hit]:
        """Every lexicon word in the text, exact or by pinyin, found by two Aho–Corasick
        automatons: the cost grows with the text, not with text x longest word. A Latin cue
        counts only as whole words of the message (`latin`): hi is not in this."""
        entries, stopwords = self.lex.entries, self.lex.stopwords
        hits = [
            Hit(end - len(key) + 1, end + 1, key, "exact")
            for end, key in self.lex.exact_ac.iter(q)
            if not _is_latin_word(key) or key in latin
        ]
        words = [(h.start, h.end) for h in hits if h.end - h.start >= 2]
        pinyin_words = self.lex.pinyin_words
        for end, i in self.lex.pinyin_ac.iter(pinyin_codes(q)):
            key = pinyin_words[i]
            size = len(key)
            start, w = end - size + 1, q[end - size + 1 : end + 1]
            if w in entries or w in stopwords:
                continue
            if size < 3 and not entries[key].projects:
                continue  # 十一经 read as 已经: two-character question words are typed right
            if any(
                s < end + 1 and start < e and not (start <= s and e <= end + 1) for s, e in words
            ):
                continue  # 有政策 is 有 + 政策, not the homophone 有证 straddling a known word
            hits.append(Hit(start, end + 1, key, "pinyin", PINYIN_FACTOR))
        return hits

    def _fuzzy(self, tokens: list[Span], covered: set[int], choices: list[str]) -> list[Hit]:
        """Near-miss spellings the pinyin channel cannot fix (a dropped or extra character)."""
        out = []
        for tok, start, end in tokens:
            if len(tok) < 3 or any(k in covered for k in range(start, end)):
                continue
            memo = self._nearest[id(choices)]
            best = memo.get(tok, _UNSEEN)
            if best is _UNSEEN:
                best = process.extractOne(
                    tok, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
                )
                if len(memo) >= NEAREST_MEMO:  # bounded: start again rather than grow
                    memo.clear()
                memo[tok] = best
            if best:
                out.append(Hit(start, end, best[0], "fuzzy", best[1] / 100 * 0.8))
        return out

    def _unknown(self, tokens: list[Span], covered: set[int]) -> list[str]:
        """Content words no lexicon match covers (what the resident said that we do not know)."""
        out, stopwords = [], self.lex.stopwords
        for tok, start, _ in tokens:
            if tok in stopwords:
                continue
            rest = "".join([c for k, c in enumerate(tok, start) if k not in covered])
            if (
                rest
                and rest not in stopwords
                and CONTENT.search(tok)
                and not all(c in stopwords for c in rest)
            ):
                out.append(tok)
        return out
