"""Group unanswered questions into clusters of similar wording, most frequent first.

Wording is compared on its topic: a segmenter that knows the router's question words cuts the
normalised, folded text, and question words (intent cues such as 怎么办, 什么时候), stopwords and
particles are dropped, so 护照怎么办 and 护照在哪办理 meet on 护照. Topics are compared word by word (equal, contained, or within a
typo by rapidfuzz), weighted by length; a question joins the best cluster whose leader scores at
least THRESHOLD.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot import segment
from bot.router import Router
from bot.storage.qlog import LoggedQuestion
from bot.text import compact

THRESHOLD = 55  # topic similarity that makes two wordings one cluster
CONTAINED = 0.8  # a word inside another (公交 in 公交车) matches, but less than the same word
TYPO = 0.8  # fuzz.ratio (0..1) at which two words are the same word mistyped
MIN_WORD = 2  # single characters (了, 换, 办) are too weak to carry a topic alone
_EDGE_PUNCT = re.compile(r"^[\s\W_]+|[\s\W_]+$")


@dataclass
class Wording:
    key: str  # normalised, folded, without spaces: what decisions are stored under
    text: str  # the most common way residents typed it
    count: int


@dataclass
class Cluster:
    id: str
    wordings: list[Wording]  # most frequent first
    users: int
    last_asked: dt.datetime
    routes: Counter = field(default_factory=Counter)  # (project, intent) the bot chose

    @property
    def size(self) -> int:
        return sum(w.count for w in self.wordings)

    @property
    def keys(self) -> list[str]:
        return [w.key for w in self.wordings]

    def examples(self, n: int = 3) -> list[str]:
        return [w.text for w in self.wordings[:n]]


_SEGMENTER = None


def _segmenter():
    # A private instance: the router's one has every KB phrase (accepted examples too), where
    # 家床在哪申请 would stay one word and hide its topic.
    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = segment.fresh()
    return _SEGMENTER


class Topics:
    """Turn a question into its comparison key and topic words, the way the router reads it."""

    def __init__(self, router: Router):
        self.lex = router.lex
        self.seg = _segmenter()
        for key, entry in self.lex.entries.items():  # question words stay whole: 怎么申请
            if entry.cues and len(key) >= 2 and not self.seg.has_word(key):
                self.seg.add_word(key, None, None)
        for word in self.lex.stopwords:
            if len(word) >= 2 and not self.seg.has_word(word):
                self.seg.add_word(word, None, None)

    def key(self, text: str) -> str:
        return self.lex.fold(compact(text))

    def topic(self, key: str) -> str:
        words = []
        for tok in self.seg.cut(key, False):
            entry = self.lex.entries.get(tok)
            if tok in self.lex.stopwords or (entry is not None and entry.cues):
                continue
            if tok.isdigit() or not tok.strip():
                continue
            words.append(tok)
        strong = [w for w in words if len(w) >= MIN_WORD]
        return " ".join(sorted(strong or words))


def _word_match(a: str, words: list[str]) -> float:
    """How well one topic word is matched by another question's words, 0..1."""
    best = 0.0
    for b in words:
        if a == b:
            return 1.0
        if a in b or b in a:
            best = max(best, CONTAINED)  # 公交 and 公交车
        else:
            r = fuzz.ratio(a, b) / 100  # one wrong or missing character: 健身器才
            if r >= TYPO:
                best = max(best, r * CONTAINED)
    return best


def similarity(a: str, b: str) -> float:
    """Topic similarity 0..100: the share of both topics' characters the other side matches."""
    wa, wb = a.split(), b.split()
    if not wa or not wb:
        return 0.0
    matched = sum(_word_match(w, wb) * len(w) for w in wa)
    matched += sum(_word_match(w, wa) * len(w) for w in wb)
    return 100 * matched / (sum(map(len, wa)) + sum(map(len, wb)))


def clean_text(text: str) -> str:
    """A resident's wording, trimmed of surrounding spaces and punctuation."""
    return _EDGE_PUNCT.sub("", text.strip())


def cluster_id(leader_key: str) -> str:
    return hashlib.sha1(leader_key.encode("utf-8")).hexdigest()[:6]


def build_clusters(
    questions: list[LoggedQuestion], router: Router, decided: dict[str, str] | None = None
) -> list[Cluster]:
    """Cluster the unanswered questions, leaving out wording staff already decided on."""
    decided = decided or {}
    topics = Topics(router)
    by_key: dict[str, list[LoggedQuestion]] = {}
    for q in questions:
        if not q.unanswered:
            continue
        key = topics.key(q.text)
        if not key or key in decided:
            continue
        by_key.setdefault(key, []).append(q)

    # Most asked first; among equals the shorter wording leads (it is usually the core question).
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), len(k), k))
    leaders: list[str] = []  # topic of each cluster's leader
    members: list[list[str]] = []
    by_char: dict[str, set[int]] = defaultdict(set)  # leaders sharing no character cannot match
    for key in keys:
        top = topics.topic(key)
        candidates = set().union(*(by_char[ch] for ch in set(top) - {" "})) if top else set()
        scored = [(similarity(top, leaders[i]), -i) for i in candidates]
        score, neg = max(scored, default=(0.0, 0))  # best score; ties go to the older cluster
        if score >= THRESHOLD:
            members[-neg].append(key)
            continue
        for ch in set(top) - {" "}:
            by_char[ch].add(len(leaders))
        leaders.append(top)
        members.append([key])

    clusters = []
    for group in members:
        qs = [q for k in group for q in by_key[k]]
        wordings = [
            Wording(
                k,
                Counter(clean_text(q.text) for q in by_key[k]).most_common(1)[0][0],
                len(by_key[k]),
            )
            for k in group
        ]
        wordings.sort(key=lambda w: (-w.count, len(w.key), w.key))
        clusters.append(
            Cluster(
                id=cluster_id(group[0]),
                wordings=wordings,
                users=len({q.user_hash for q in qs}),
                last_asked=max(q.asked_at for q in qs),
                routes=Counter((q.project, q.intent) for q in qs),
            )
        )
    clusters.sort(key=lambda c: (-c.size, -c.users, c.wordings[0].key))
    return clusters


def find_cluster(clusters: list[Cluster], ref: str) -> Cluster | None:
    """A cluster by its id (a3f9c2) or by its rank in the listing (1, 2, …)."""
    ref = ref.strip().lower().lstrip("#")
    for c in clusters:
        if c.id == ref:
            return c
    if ref.isdigit() and len(ref) <= 4 and 1 <= int(ref) <= len(clusters):
        return clusters[int(ref) - 1]
    return None
