"""Route a resident's words to (project, intent): score every candidate, fall back only when none fits."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.clauses import asks, clauses, find_ask
from bot.intents import PROJECT_INTENTS
from bot.kb.model import KnowledgeBase
from bot.lexicon import PINYIN_FACTOR, Lexicon
from bot.models import Alternative, Route
from bot.pinyin import pinyin_codes
from bot.text import normalise

MAX_CHARS = 600  # residents' stories run to 300+ characters; beyond this, a polite ask to shorten
MIN_PROJECT_SCORE = 1.2  # below this a project match is a stray sub-word
AMBIGUOUS_RATIO = 0.75  # second within 75% of the first: offer a choice
ORDINAL_SCORE = 5.0
SPECIAL_CUE = 4.0  # (un)subscribe cues this strong decide the intent whatever else matched
LONG_MESSAGE = 60  # characters: beyond this a message is a story with a question at the end
STORY_FACTOR = 0.3  # question words in the story part of a long message count this much
RECENCY_BONUS = 0.25  # Chinese questions end with the ask: 免费医疗怎么办理 is about applying
FUZZY_CUTOFF = 80
EXAMPLE_CUTOFF = 85  # fuzz.ratio to an accepted phrasing: that phrasing or a near variant
WEAK_CUE = 1.0  # below this the question words were only told (a salutation, the story)
LIST_CUE = 4.0  # a request for the whole list this strong wins over a weak project word
HELP_CUE = 3.0  # 这里可以查询哪些内容: how to use the bot, over a stray 老人
HUMAN_CUE = 5.0  # 我要投诉 (a pattern) or 转人工 + 人工: a person is asked for
NAMED_STRONG = 2.5  # a named term this strong (3+ characters, or a place) outweighs 坏了 or 户口
NEAR_MISS = 4.0  # off-topic words this heavy name another service (挂号, 医保卡, 加装电梯)
INTENT_CLOSE = 0.8  # a second question kind within 80% of the first makes the answer less sure
ASKED_PROJECT = 0.5  # a project word inside the asking clause of a longer message: +50%
RELATED_SCORE = 1.25  # a name, or a situation of 3+ characters (坐轮椅): enough to mention it
TOPIC_CONFIDENCE = 0.3  # a bare shared word (补贴): a guess offered with its alternatives
# Content means letters or ideographs other than measure words; 25万 or 2023年 alone is not a topic.
_CONTENT = re.compile(r"[\u4e00-\u9fffa-z](?<![万年月日个项号])")
_ORDINAL = re.compile(r"第(\d{1,4})(项|个项目|号项目)")
_ELLIPSIS = re.compile(r"(呢|那|那个|还有)$")
_ANAPHORA = re.compile(r"(这个|那个|这项|那项|该|此)(项目|工程|事)?")
_INCLUDES = re.compile(
    r"包括|包含|有没有|有无|含不含|带不带|涉及|会不会|会\S{0,4}(吗|么)$|期间|管不管|还管|也管|是吧"
)
# A question mark on a clause with one of these already asks: no 吗 is implied.
_ANSWERED_BY = re.compile(r"(吗|么|呢|吧|不|没|没有)$|什么|啥|哪|谁|几|多少|怎么|咋|如何|何")
_TRAILING = re.compile(r"(?<=[\u4e00-\u9fff])[哦嘛啊呀哈啦嘞噻哟撒咯哇呐吖诶哎捏]+$")
# A road's name: two to five characters before 路/大街/大道/街 (not 街道, a subdistrict office).
_ROAD = re.compile(r"[\u4e00-\u9fff\d]{2,5}(?:路|大街|大道|街)(?![道域坊面区口边灯段上])")
_ROAD_LEAD = re.compile(r"[那这条的个段上边口在到走去从和与及是修了把往沿过门前家住我你他]")
UNKNOWN_ROAD = 3.0  # yields to a named project (万东路 in the same story), beats 坑坑洼洼
_NEGATED = re.compile(r"((?<!是)不是|(?<!算)不算|并非|不属于)$")  # 是不是/算不算 ask, not deny
_LACKED = re.compile(r"(没|没有|无)$")
_RUN = re.compile(r"[^\w.\u4e00-\u9fff]+|_")  # what normalise() turns into one space
_LATIN_WORD = re.compile(r"[a-z]+")  # after normalise: lower case
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
        spoken = self.lex.rewrite(normalise(text))
        q = self.lex.fold(spoken.replace(" ", ""))
        if not q:
            return Analysis(Route(None, "help", 0.0))
        a, b, marked, questions = self._ask_span(text, spoken, q)
        hits = self._hits(q, _latin_words(spoken))
        entries = self.lex.entries
        tokens = _spans(self.lex.segmenter.cut(q, False), q)
        # A homophone reading must start and end where words do: 退一点 is 退 + 一点, not 退役.
        edges = {0, len(q)} | {k for _, s, e in tokens for k in (s, e)}
        hits = [h for h in hits if h.channel != "pinyin" or (h.start in edges and h.end in edges)]
        # 老年大学 is a word of its own: the 老年 and 大学 inside it name nothing of ours.
        inside = _inside_other_words(tokens, entries)
        project_hits = _non_overlapping(
            [h for h in hits if entries[h.key].projects and not inside(h)]
        )
        cue_hits = _not_contained([h for h in hits if entries[h.key].cues])
        oos_hits = _non_overlapping(
            [h for h in hits if entries[h.key].oos and h.channel == "exact"]
        )
        covered = _covered(project_hits + cue_hits + oos_hits)
        project_hits += self._fuzzy(tokens, covered, self.lex.project_term_list)
        cue_hits += self._fuzzy(tokens, covered, self.lex.cue_list)
        covered = _covered(project_hits + cue_hits + oos_hits)

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
        asked = "\n".join(_as_question(c, marked) for c in dict.fromkeys((q[a:b], *questions)) if c)
        whole = (a, b) == (0, len(q))
        for pattern, intent, w in self.lex.patterns:
            if pattern.search(asked):
                iscores[intent] += w
            elif not whole and pattern.search(q):
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

        oos_weights = [
            entries[h.key].oos * after(h.start)
            for h in oos_hits
            if not _LACKED.search(q, max(0, h.start - 2), h.start)  # 没退休金: told, not asked
        ]
        oos_weights += [UNKNOWN_ROAD * outside(m.start(), m.end()) for m in self._unknown_roads(q)]
        ev.other_kind = bool(_other_kinds(tokens, covered, entries, self.lex.stopwords))
        before_aside = q[:b]
        oos_weights += [
            w if whole or pattern.search(before_aside) else w * STORY_FACTOR
            for pattern, w in self.lex.oos_patterns
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
            ev.topic_unknown = lambda: self._unknown(tokens, covered | _covered(topic_hits))
        ev.example = self._example(q)
        route = self._decide(ev, iscores, unknown)
        return Analysis(
            route,
            cue_intent=_cue_intent(iscores),
            unknown_words=unknown,
            off_topic=bool(oos_weights),
            elliptical=bool(_ELLIPSIS.search(q)) and not any(i in iscores for i in PROJECT_INTENTS),
            anaphora=bool(_ANAPHORA.search(q)),
        )

    def _ask_span(self, text: str, spoken: str, q: str) -> tuple[int, int, bool, list[str]]:
        """Where the question sits in q (start, end), whether a question mark said so, and
        its clauses as q slices.

        Residents tell what happened first and ask last; a salutation (网格员咨询：) opens;
        a question mark marks the asking clause wherever it is. Cues outside it count less."""
        raw = unicodedata.normalize("NFKC", text)
        parts = clauses(raw)
        if len(parts) < 2:
            return 0, len(q), False, [q]
        at = self._boundaries(raw, spoken, q, parts)
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

    def _boundaries(self, raw: str, spoken: str, q: str, parts) -> dict[int, int]:
        """Raw clause boundary -> its position in q.

        Every run of punctuation or spaces in the raw text is one space in `spoken`; folding
        `spoken` with its spaces kept and counting gives each run's place in q in one pass.
        Where that does not line up (Latin words rewritten, a synonym across a boundary), each
        clause is folded alone instead."""
        runs = [m.span() for m in _RUN.finditer(raw)]
        folded = self.lex.fold(spoken)
        segments = folded.split(" ") if folded else []
        inner = [r for r in runs if r[0] > 0 and r[1] < len(raw)]
        at: dict[int, int] = {0: 0, len(raw): len(q)}
        if (
            not _LATIN_WORD.search(spoken)
            and len(segments) == len(inner) + 1
            and folded.replace(" ", "") == q
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
            pos += len(self._folded(raw[s:e]))
            at[e] = min(pos, len(q))
        return at

    def _folded(self, text: str) -> str:
        return self.lex.fold(self.lex.rewrite(normalise(text)).replace(" ", ""))

    def _unknown_roads(self, q: str) -> list[re.Match]:
        """Road names the KB does not know (十一经路): the list builds named roads only, so a
        question about another road is outside it, unless a known project is named as well."""
        out = []
        for m in _ROAD.finditer(q):
            name = _ROAD_LEAD.split(m.group(0))[-1]
            if len(name) < 3 or name[:-1] in self.lex.stopwords:
                continue
            if not any(name in k or k in name for k in self.lex.road_names):
                out.append(m)
        return out

    @staticmethod
    def _named_outweighs(ev: Evidence) -> bool:
        """A named project or place beats an everyday off-topic word (坏了, 户口); a near-miss
        service word (挂号, 加装电梯: weight 4+) still wins unless the resident asks whether
        the project includes it (改造包括加装电梯吗: in scope, answered 原文未说明)."""
        if ev.named < NAMED_STRONG:
            return False
        return ev.oos_max < NEAR_MISS or ev.includes

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
            if not _LATIN_WORD.fullmatch(key) or key in latin
        ]
        words = [(h.start, h.end) for h in hits if h.length >= 2]
        for end, (size, key) in self.lex.pinyin_ac.iter(pinyin_codes(q)):
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
            best = process.extractOne(tok, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
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
                and _CONTENT.search(tok)
                and not all(c in stopwords for c in rest)
            ):
                out.append(tok)
        return out

    def _decide(self, ev: Evidence, iscores, unknown) -> Route:
        # Which project: the words of the asking clause weigh more (ASKED_PROJECT); how sure,
        # and whether it is a project at all: the plain evidence.
        order = sorted(
            ev.projects, key=lambda n: (-(ev.projects[n] + ASKED_PROJECT * ev.asked[n]), n)
        )
        ranked = [(n, ev.projects[n]) for n in order]
        if ranked and ranked[0][0] not in ev.named_by:
            # 逸庭苑改造会不会加个坡道？我坐轮椅: the project named outranks one only described.
            named = [kv for kv in ranked if ev.named_by.get(kv[0], 0.0) >= NAMED_STRONG]
            if named:
                ranked.remove(named[0])
                ranked.insert(0, named[0])
        top_n, top = ranked[0] if ranked else (None, 0.0)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        has_project = top >= MIN_PROJECT_SCORE or (
            # A situation two projects share (失业): together they are evidence, offered as a choice.
            ev.situational and top + second >= MIN_PROJECT_SCORE and second >= AMBIGUOUS_RATIO * top
        )
        alternatives: tuple[Alternative, ...] = ()
        if has_project and second >= AMBIGUOUS_RATIO * top:
            alternatives = tuple(
                Alternative(n, round(s, 3)) for n, s in ranked[:3] if s >= AMBIGUOUS_RATIO * top
            )

        for special in ("unsubscribe", "subscribe"):
            if iscores.get(special, 0) >= SPECIAL_CUE:
                return Route(top_n if has_project else None, special, 0.9, alternatives)
        weakly_named = max(ev.named_by.values(), default=0) < 2.0
        for asked, floor in (("list", LIST_CUE), ("help", HELP_CUE)):
            if iscores.get(asked, 0) >= floor and weakly_named and not ev.oos:
                # 能不能把这20项都给我说一遍 / 这里可以查询哪些内容: the list or how to use the
                # bot, whatever stray project word the story brings along.
                return Route(None, asked, round(min(1.0, iscores[asked] / 6), 3))
        if iscores.get("human", 0) >= HUMAN_CUE:
            # 我要投诉… / 转人工: a person is asked for, whatever project is named.
            return Route(None, "human", round(min(1.0, iscores["human"] / 6), 3))
        if ev.example:
            ex, score = ev.example
            intent = ex.intent or _best(iscores, PROJECT_INTENTS)[0] or "overview"
            return Route(ex.project, intent, round(score / 100, 3))
        if ev.oos and ev.oos > top and not self._named_outweighs(ev):
            return Route(None, "out_of_scope", round(min(1.0, ev.oos / 5), 3))

        if has_project:
            intent, iscore = _best(iscores, PROJECT_INTENTS)
            if intent is None or iscore < WEAK_CUE:
                intent = "overview"  # only a told cue (网格员咨询：…): the default, not a reading
            strength = min(1.0, top / 3.0)
            margin = max(0.0, (top - second) / top)  # the asked-about project may trail
            conf = strength * (0.3 + 0.7 * margin)  # a tie is never above 0.3
            conf *= _intent_certainty(iscores, iscore)
            related = tuple(n for n, _ in ranked if n != top_n and n in ev.related)
            return Route(top_n, intent, round(conf, 3), alternatives, related=related)
        intent, iscore = _best(iscores, NON_PROJECT_INTENTS)
        if intent == "greeting":  # 您好…可以咨询哪些…谢谢: the politeness wraps the question
            asked, score = _best(iscores, ("list", "help", "human"))
            if asked and score >= 1.5:
                intent, iscore = asked, score
        if intent and iscore >= 1.5:
            return Route(None, intent, round(min(1.0, iscore / 3.0), 3))
        intent, iscore = _best(iscores, PROJECT_INTENTS)
        if intent and top > 0 and not ev.oos and not ev.other_kind:
            # Only weak words (急救 is in two projects): a guess, offered as a choice — not when
            # the shared word is qualified by one we do not know (以旧换新补贴: another kind).
            weak = tuple(
                Alternative(n, round(s, 3)) for n, s in ranked[:3] if s >= AMBIGUOUS_RATIO * top
            )
            return Route(top_n, intent, round(0.3 * top / MIN_PROJECT_SCORE, 3), weak)
        if ev.topics and not ev.oos and not ev.other_kind and not ev.topic_unknown():
            # A bare word many projects share (补贴): the likeliest, with the others as a choice.
            shared = sorted(ev.topics.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            choice = tuple(Alternative(n, round(s, 3)) for n, s in shared)
            return Route(shared[0][0], intent or "overview", TOPIC_CONFIDENCE, choice)
        if intent and not unknown:
            # 怎么申请 with no project named: the dialogue layer supplies one or asks which.
            return Route(None, intent, round(min(1.0, iscore / 3.0) * 0.5, 3))
        return Route(None, "out_of_scope", round(1.0 - min(1.0, top / 3.0) * 0.5, 3))


@dataclass
class Evidence:
    """What one message says about where it belongs, gathered before deciding."""

    projects: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    named: float = 0.0  # the strongest single name (not a situation, not a fuzzy guess)
    situational: bool = False  # a life situation matched
    oos: float = 0.0
    oos_max: float = 0.0  # the strongest single off-topic word
    includes: bool = False  # 包括/有没有/会不会…: asks whether the project covers a thing
    topics: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    topic_unknown: Callable[[], list[str]] = list  # content words beside the shared ones
    example: tuple | None = None
    related: set[int] = field(default_factory=set)  # projects a name or situation points to
    named_by: dict[int, float] = field(default_factory=dict)  # project -> its strongest name
    asked: dict[int, float] = field(default_factory=lambda: defaultdict(float))  # in the ask
    other_kind: bool = False  # a shared word qualified by an unknown one (育儿补贴)


def _as_question(clause: str, marked: bool) -> str:
    """One asking clause as the patterns read it: sentence-final particles off (修起没有哦 ->
    修起没有), and a question mark with no particle or question word read as 吗 (有他的份？)."""
    clause = _TRAILING.sub("", clause) if len(clause) > 3 else clause
    if marked and not _ANSWERED_BY.search(clause):
        clause += "吗"
    return clause


def _cue_intent(iscores: dict[str, float]) -> str | None:
    """The project question the cue words ask, if any (subscribing counts as one)."""
    for special in ("unsubscribe", "subscribe"):
        if iscores.get(special, 0) >= SPECIAL_CUE:
            return special
    return _best(iscores, PROJECT_INTENTS)[0]


def _intent_certainty(iscores: dict[str, float], best: float) -> float:
    """1.0 when one question kind clearly wins; less when two are close (能…吗: benefit or
    eligibility) — measured on the dev sets, most wrong-but-sure answers were such ties."""
    runner_up = max((s for i, s in iscores.items() if i in PROJECT_INTENTS and s < best), default=0)
    if best <= 0:
        return 0.9  # no cue at all: the overview is a default, not a reading
    return 1.0 if runner_up < INTENT_CLOSE * best else 0.75


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


def _inside_other_words(tokens: list[Span], entries) -> Callable[[Hit], bool]:
    """A test: does this hit sit strictly inside a longer word the segmenter knows and the
    lexicon does not (老年 in 老年大学, 大学 in 老年大学)? Such a word is another thing."""
    foreign = [(s, e) for tok, s, e in tokens if len(tok) >= 3 and tok not in entries]

    def inside(h: Hit) -> bool:
        return any(s <= h.start and h.end <= e and e - s > h.length for s, e in foreign)

    return inside


def _other_kinds(tokens: list[Span], covered: set[int], entries, stopwords) -> list[int]:
    """Where a shared word is qualified by a word we do not know (以旧换新补贴, 育儿补贴): an
    allowance, training or insurance of another kind, not the list's own."""
    out = []
    for (prev, ps, pe), (tok, start, _) in zip(tokens, tokens[1:], strict=False):
        entry = entries.get(tok)
        if entry is None or not entry.topic or len(prev) < 2 or not _CONTENT.search(prev):
            continue
        known = prev in entries or prev in stopwords
        if not known and not any(k in covered for k in range(ps, pe)):
            out.append(start)
    return out


def _latin_words(spoken: str) -> frozenset[str]:
    """The Latin words of a message and runs of up to three (how much -> howmuch)."""
    words = _LATIN_WORD.findall(spoken)
    return frozenset("".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words)))


def _covered(hits: list[Hit]) -> set[int]:
    return {k for h in hits for k in range(h.start, h.end)}
