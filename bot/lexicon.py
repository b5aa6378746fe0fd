"""The router's lexicon, built once per knowledge base: terms, cues, pinyin keys, a segmenter.

Every KB word goes through the same normalisation as resident text, so both meet as equal strings.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from functools import cached_property

import ahocorasick

from bot import lexiconcache, regexcache, segment
from bot.kb.model import KnowledgeBase
from bot.pinyin import char_pinyin, pinyin_codes, readings, split_syllables
from bot.regexkeys import KeyIndex
from bot.text import compact

# Words that name kinds of work rather than a project; as sub-terms they would tie everything.
GENERIC = frozenset(
    [
        "建设",
        "服务",
        "提升",
        "改造",
        "新建",
        "推进",
        "社区",
        "全区",
        "开展",
        "工程",
        "项目",
        "提高",
        "完善",
        "加强",
        "城市",
        "群众",
        "居民",
        "设施",
        "管理",
        "体系",
        "工作",
        "全年",
        "实施",
        "推动",
        "创建",
        "打造",
        "优化",
        "保障",
        "开展",
        "建成",
        "新增",
        "更新",
        "维护",
        "配套",
        "基础",
        "重点",
        "示范",
        "标准化",
        "区级",
        "市民",
        "专题",
        "日常",
        "公众",
        "部分",
        "有序",
        "多层次",
        "本市",
        "天津",
        "天津市",
        "河东",
        "河东区",
        "民心工程",
        "2023年",
    ]
)
_HAS_CJK = regexcache.compile(r"[\u4e00-\u9fff]{2}")
_ROAD_NAME = regexcache.compile(r"(路|大街|大道|街)$")
TITLE_BONUS = 1.2
PLACE_BONUS = 1.5  # a place the list names (逸庭苑, 八纬路) belongs to one project for sure
SUBTERM_FACTOR = 0.6
PINYIN_FACTOR = 0.9
MIN_INITIALS = 3  # ylcw (养老床位) is an abbreviation; db could be 低保 or 大病
SPOKEN_FACTOR = 0.9  # 生育的保险: a name with 的 inside, as people say it
# What a build makes and bot.lexiconcache keeps (the rules, automatons and segmenter are remade).
KEPT = ("entries", "stopwords", "max_len", "pinyin_words", "_pinyin_words", "examples")
KEPT += ("example_keys", "project_term_list", "road_names", "cue_list", "pinyin_ac_keys")
SITUATION_FACTOR = 0.5  # a life situation (失业) points to a project less surely than its name


def pinyin_key(text: str) -> str:
    return " ".join(char_pinyin(c) for c in text)


def term_weight(term: str) -> float:
    """Longer terms are more specific: 老旧小区改造 says more than 小区."""
    return min(1.0 + 0.5 * len(term), 5.0)


_EntryFields = namedtuple("_EntryFields", "projects cues oos topic situation piece")


class Entry(_EntryFields):
    """Everything one normalised string means to the router; read-only once built.

    projects: {number: weight}; cues: ((intent, weight), …); oos: weight of evidence that the
    question is outside the list; topic: {number: share} (补贴: shared by many, a choice);
    situation: a life situation (失业), not a name: weaker, and never "the" name; piece: only a
    piece of a longer name (回来 in 退役回来): a hint, not a mention."""

    __slots__ = ()
    # Made from one tuple of the fields, in C (the namedtuple's own __new__ is Python): a
    # restore (bot.lexiconcache) makes ~24,000 of them for a 400-project list, as NEWOBJ.
    __new__ = tuple.__new__

    def __getnewargs__(self):
        return (tuple(self),)


@dataclass
class _Draft:
    """An Entry while the build adds to it."""

    projects: dict[int, float] = field(default_factory=dict)
    cues: list[tuple[str, float]] = field(default_factory=list)
    oos: float = 0.0
    topic: dict[int, float] = field(default_factory=dict)
    situation: bool = False
    piece: bool = False

    def entry(self, same: dict[tuple, dict]) -> Entry:
        # Equal {number: weight} maps are one object (read-only from here): 24,000 entries of
        # a 400-project list hold ~5,000 distinct ones, and a restore then makes only those.
        projects = same.setdefault(tuple(self.projects.items()), self.projects)
        topic = same.setdefault(tuple(self.topic.items()), self.topic)
        fields = (projects, tuple(self.cues), self.oos, topic, self.situation, self.piece)
        return Entry(fields)


@dataclass(frozen=True)
class Example:
    """A phrasing staff accepted, with the project and (if given) the intent it means."""

    text: str  # normalised, folded, no spaces
    project: int
    intent: str | None


class Lexicon:
    def __init__(self, kb: KnowledgeBase):
        self._compile_rules(kb)
        # One segmenter: it splits KB terms into sub-terms while pristine, then learns them.
        # The pristine one the KB checks used is adopted: a start loads one dictionary, and a
        # reload's new lexicon never touches the instance that is serving.
        self.segmenter = segment.adopt()
        kept = lexiconcache.load(kb)
        if kept is not None and not _kept_fits(*kept):
            kept = None  # not what this code keeps (a damaged or planted file): build
        if kept is None:
            taught = self._build(kb)
            lexiconcache.save(kb, {k: vars(self)[k] for k in KEPT}, taught)
        else:  # what an earlier start built from these same files with this same code
            state, taught = kept
            vars(self).update({k: state[k] for k in KEPT})
            for key, weight in taught:  # the same words, weights and order: the same cuts
                self.segmenter.add_word(key, weight, None)
        self.exact_ac = _automaton((k, k) for k in self.entries)
        # Values are indexes into pinyin_words (ints, stored in the automaton's own nodes: no
        # Python object per word, ~1/3 faster to build than (size, word) pairs).
        self.pinyin_ac = _automaton(
            zip(self.pinyin_ac_keys, range(len(self.pinyin_words)), strict=True),
            ahocorasick.STORE_INTS,
        )

    def _compile_rules(self, kb: KnowledgeBase) -> None:
        """vocab.yaml's synonyms, dialect, narrative, intent and out-of-scope rules as regexes
        (compiled from bot.regexcache's kept programs)."""
        self._fold_map: dict[str, str] = {}
        for canon, variants in kb.vocab.synonyms.items():
            for v in variants:
                self._fold_map[compact(v)] = compact(canon)
        alts = sorted(self._fold_map, key=len, reverse=True)
        self._fold_re = regexcache.compile("|".join(map(re.escape, alts))) if alts else None
        self.dialect = [(regexcache.compile(p), to) for p, to in kb.vocab.dialect.items()]
        self._dialect_keys = KeyIndex([regexcache.required_chars(p) for p in kb.vocab.dialect])
        self._narrative = regexcache.compile(
            "|".join(f"(?:{p})" for p in kb.vocab.narrative) or "(?!)"
        )
        self.patterns = [  # MULTILINE: one clause a line, ^ and $ per clause
            (regexcache.compile(p, re.MULTILINE), intent, w)
            for intent, spec in kb.vocab.intents.items()
            for p, w in spec.patterns.items()
        ]
        self.oos_patterns = [
            (regexcache.compile(p), w) for p, w in kb.vocab.out_of_scope_patterns.items()
        ]

    def _build(self, kb: KnowledgeBase) -> list[tuple[str, int]]:
        """Every KB word and what it means (the KEPT attributes); returns the words the
        segmenter was taught, in order, with their weights."""
        self.entries: dict[str, _Draft] = defaultdict(_Draft)
        for intent, spec in kb.vocab.intents.items():
            for cue, w in spec.cues.items():
                key = self.fold(compact(cue))
                if key:
                    self.entries[key].cues.append((intent, w))
        self.stopwords = frozenset(self.fold(compact(w)) for w in kb.vocab.stopwords)
        self._add_topics(kb, self._add_project_terms(kb))
        for word, weight in kb.vocab.out_of_scope.items():
            key = self.fold(compact(word))
            if key:
                self.entries[key].oos = weight
        same: dict[tuple, dict] = {}
        self.entries: dict[str, Entry] = {k: d.entry(same) for k, d in self.entries.items()}
        self.max_len = max(len(k) for k in self.entries)

        # Toneless pinyin of every multi-character entry, for IME homophone typos (医包 -> 医保):
        # of the words that read alike, the shortest (then the first) stands for the reading.
        by_pinyin: dict[str, str] = {}
        for key in sorted(self.entries, key=len):
            if len(key) >= 2:
                by_pinyin.setdefault(pinyin_key(key), key)
        self.pinyin_words = list(by_pinyin.values())  # (the readings serve only to choose)
        # The automaton's keys, one per word of pinyin_words: kept with the lexicon, since
        # reading them is ~40 % of building the automaton (~20 ms for 400 projects).
        self.pinyin_ac_keys = [pinyin_codes(w) for w in self.pinyin_words]
        self._pinyin_words = dict(kb.vocab.pinyin_words)
        self.examples = [
            Example(key, n, ex.intent)
            for n, p in kb.projects.items()
            for ex in p.learned_examples
            if (key := self.fold(compact(ex.text)))
        ]
        self.example_keys = [ex.text for ex in self.examples]

        self.project_term_list = [k for k, e in self.entries.items() if e.projects and len(k) >= 3]
        # Every road the KB names (万东路, 八纬路…): another road is not on the list.
        self.road_names = [k for k in self.project_term_list if _ROAD_NAME.search(k)]
        self.cue_list = [k for k, e in self.entries.items() if e.cues and len(k) >= 3]
        new = [k for k in self.entries if len(k) >= 2 and not self.segmenter.has_word(k)]
        # Each with the weight the segmenter suggested for it (which depends on the words
        # taught before it): a restored lexicon teaches the same weights without asking for
        # them again (~40 % of teaching, ~20 ms for 400 projects).
        return [(key, self.segmenter.add_word(key, None, None)) for key in new]

    def fold(self, text: str) -> str:
        """Replace colloquial and dialect spellings with the canonical word."""
        if self._fold_re is None:
            return text
        return self._fold_re.sub(lambda m: self._fold_map[m.group(0)], text)

    def narrative_spans(self, q: str) -> list[tuple[int, int]]:
        """Where the message tells a time rather than asks one (去年底, 上个月, 哪天真摔了)."""
        return [m.span() for m in self._narrative.finditer(q)]

    def rewrite(self, text: str) -> str:
        """Normalised text (spaces kept) -> Chinese words the lexicon knows.

        Latin runs typed as pinyin become the KB words they spell; then the dialect rules of
        vocab.yaml apply by position (嘛 before a noun is 什么; 嘛 at the end stays a particle).
        """
        if _LATIN.search(text):
            if _LATIN_HEAD.search(text):  # sy金, yiting苑: letters for a word's head
                text = _LATIN_HEAD.sub(self._latin_head, text)
            if _LATIN_TAIL.search(text):  # 大病bx: letters for a word's tail
                text = _LATIN_TAIL.sub(self._latin_tail, text)
            text = _LATIN_RUN.sub(lambda m: self._latin(m.group(0)), text)
        # In order, only the rules whose characters the text has (bot.regexkeys); a rule that
        # changed the text asks again which of the rules after it may now apply.
        todo, k = self._dialect_keys.candidates(set(text)), 0
        while k < len(todo):
            i, k = todo[k], k + 1
            pattern, to = self.dialect[i]
            changed = pattern.sub(to, text)
            if changed != text:
                text = changed
                todo, k = [j for j in self._dialect_keys.candidates(set(text)) if j > i], 0
        return self._undouble(text) if _DOUBLED.search(text) else text

    def _undouble(self, text: str) -> str:
        """A verb doubled in speech is the word it doubles, where that is a word of ours:
        打打球 -> 打球, 遛遛弯 -> 遛弯, 活动活动 -> 活动 (妈妈, 天天 are no word doubled)."""

        def whole(m: re.Match) -> str:
            return m.group(1) if m.group(1) in self.entries else m.group(0)

        def head(m: re.Match) -> str:
            word = m.group(1) + m.group(2)
            return word if word in self.entries else m.group(0)

        return _DOUBLED_HEAD.sub(head, _DOUBLED_WORD.sub(whole, text))

    def _latin_head(self, m: re.Match) -> str:
        """Letters typed for the first characters of a name whose last ones follow in Chinese
        (sy金 = 失业金, zf补贴 = 租房补贴, yiting苑 = 逸庭苑): the one name that fits, else as typed."""
        letters, chars = m.group(1).replace(" ", ""), m.group(2)
        if len(letters) < 2 or letters in self.entries or letters in self._fold_map:
            return m.group(0)
        for k in (2, 1):
            word = self.by_head_letters.get((letters, chars[:k])) if len(chars) >= k else None
            if word is not None:
                return word + chars[k:]
        return m.group(0)

    def _latin_tail(self, m: re.Match) -> str:
        """Characters for the first part of a name, letters for the rest (大病bx = 大病保险,
        报销bl = 报销比例): the one name that fits, else as typed."""
        chars, letters = m.group(1), m.group(2).replace(" ", "")
        if len(letters) < 2 or letters in self.entries or letters in self._fold_map:
            return m.group(0)
        for k in (3, 2, 1):
            word = self.by_tail_letters.get((chars[-k:], letters)) if len(chars) >= k else None
            if word is not None:
                return chars[:-k] + word
        return m.group(0)

    @cached_property
    def by_tail_letters(self) -> dict[tuple[str, str], str]:
        """(the first one to three characters, letters) -> the project name they spell, where
        the letters are the pinyin, or the initials of two or more characters, of the rest."""
        found: dict[tuple[str, str], set[str]] = defaultdict(set)
        for key in self._names_for_letters():
            for j in range(1, min(3, len(key) - 1) + 1):
                for letters in _letter_forms(key[j:]):
                    found[key[:j], letters].add(key)
        return self._one_meaning(found)

    @cached_property
    def by_head_letters(self) -> dict[tuple[str, str], str]:
        """(letters, the last one or two characters) -> the project name they spell, where
        the letters are the pinyin, or the initials of two or more characters, of the rest."""
        found: dict[tuple[str, str], set[str]] = defaultdict(set)
        for key in self._names_for_letters():
            for j in range(max(1, len(key) - 2), len(key)):  # the last one or two stay
                for letters in _letter_forms(key[:j]):
                    found[letters, key[j:]].add(key)
        return self._one_meaning(found)

    def _names_for_letters(self) -> list[str]:
        return [
            key
            for key, entry in self.entries.items()
            if entry.projects and not entry.situation and len(key) >= MIN_INITIALS
            and _ALL_CJK.fullmatch(key)
        ]  # fmt: skip

    def _one_meaning(self, found: dict) -> dict:
        """Letters kept only where every word they may spell names the same projects
        (zfbt: 租房补贴 or 住房补贴, both project 7); the shortest such word stands for them."""
        out = {}
        for letters, words in found.items():
            if len({frozenset(self.entries[w].projects) for w in words}) == 1:
                out[letters] = min(words, key=lambda w: (len(w), w))
        return out

    def _latin(self, run: str) -> str:
        whole = compact(run).replace(" ", "")
        if whole in self.entries or whole in self._fold_map:  # help, thank you: words we know
            return run
        out: list[str] = []
        sylls: list[str] = []
        for word in run.split(" "):
            if word in self.entries or word in self._fold_map:
                out.append(self._spell(sylls) + word)
                sylls = []
                continue
            pieces = _split_erhua(word)
            if pieces is None:
                # Not pinyin: perhaps initials (ylcw = 养老床位), used when only one name fits.
                named = self.by_initials.get(word) if len(word) >= MIN_INITIALS else None
                out.append(self._spell(sylls) + (named or f" {word} "))
                sylls = []
            else:
                sylls += pieces
        out.append(self._spell(sylls))
        return "".join(out)

    def _spell(self, sylls: list[str]) -> str:
        """Syllables -> the known words they spell: most syllables covered, then fewest words
        (zai na er is 在哪儿, not 在哪 + er); a syllable no word covers stays in letters."""
        index, n = self.by_syllables, len(sylls)
        # best[i]: (syllables covered, -words, pieces) for sylls[i:]
        best: list[tuple[int, int, list[str]]] = [(0, 0, [])] * (n + 1)
        for i in range(n - 1, -1, -1):
            cov, neg, rest = best[i + 1]
            cand = (cov, neg, [f" {sylls[i]} ", *rest])
            for j in range(i + 1, min(n, i + self._latin_max) + 1):
                word = index.get(tuple(sylls[i:j]))
                if word:
                    cov, neg, rest = best[j]
                    option = (cov + j - i, neg - 1, [word, *rest])
                    if option[:2] > cand[:2]:
                        cand = option
            best[i] = cand
        return "".join(best[0][2])

    @cached_property
    def by_syllables(self) -> dict[tuple[str, ...], str]:
        """Known words by the syllables that spell them; built at the first Latin message
        (~0.07 s) rather than at every start."""
        words = [k for k in self.entries if len(k) >= 2 and _ALL_CJK.fullmatch(k)]
        words += [w for w in self.stopwords if len(w) >= 2 and _ALL_CJK.fullmatch(w)]
        words += [w for w in self._fold_map if _ALL_CJK.fullmatch(w)]
        index: dict[tuple[str, ...], str] = {}
        for w in sorted(set(words), key=lambda w: (len(w), w)):
            combos = itertools.islice(itertools.product(*(readings(c) for c in w)), 16)
            for combo in combos:
                index.setdefault(combo, w)
        # Single syllables only through the staff-kept table: ma is 吗, not 妈 or 马.
        for latin, word in self._pinyin_words.items():
            sylls = [p for w in latin.split() for p in (_split_erhua(w) or [w])]
            index[tuple(sylls)] = compact(word)
        self._latin_max = max((len(k) for k in index), default=1)
        return index

    @cached_property
    def by_initials(self) -> dict[str, str]:
        """Project names by the first letters of their syllables (ylcw -> 养老床位), kept only
        where exactly one name has those letters: an abbreviation that could mean two is left
        as letters."""
        found: dict[str, set[str]] = defaultdict(set)
        for key in self._names_for_letters():
            found["".join(char_pinyin(c)[0] for c in key)].add(key)
        return self._one_meaning(found)

    def _add_project_terms(self, kb: KnowledgeBase) -> dict[str, set[int]]:
        """Names, keywords and places (full weight), situations (less), their pieces (less);
        returns the pieces with their owners for the shared-topic table."""
        direct: dict[str, dict[int, float]] = defaultdict(dict)
        situations: dict[str, set[int]] = defaultdict(set)
        sub: dict[str, set[int]] = defaultdict(set)
        variants: dict[str, dict[int, float]] = defaultdict(dict)
        for n, p in kb.projects.items():
            words = [(p.title, TITLE_BONUS)]
            words += [(w, 1.0) for w in (*p.aliases, *p.keywords, *p.example_texts)]
            words += [(pl.name, PLACE_BONUS) for pl in p.places]  # 逸庭苑 names one project
            phrasings = set(p.example_texts)
            for word, bonus in words:
                key = self.fold(compact(word))
                if len(key) < 2:
                    continue
                direct[key][n] = max(direct[key].get(n, 0.0), term_weight(key) * bonus)
                if word in phrasings:
                    continue  # a whole question: its words are the resident's, not the project's names
                pieces = self.segmenter.cut(key)
                for piece in pieces:
                    if len(piece) >= 2 and piece != key and _HAS_CJK.search(piece):
                        sub[piece].add(n)
                w = term_weight(key) * bonus * SPOKEN_FACTOR
                for spoken in self._spoken_forms(key, pieces):
                    variants[spoken][n] = max(variants[spoken].get(n, 0.0), w)
            for word in p.situations:
                key = self.fold(compact(word))
                if len(key) >= 2:
                    situations[key].add(n)
        for key, owners in variants.items():
            if key not in direct and not self.segmenter.has_word(key):
                direct[key] = owners  # a word of its own (文艺) is not our abbreviation
        for key, owners in direct.items():
            share = 1.0 / len(owners)
            self.entries[key].projects.update({n: w * share for n, w in owners.items()})
        for key, owners in situations.items():
            if key in direct:
                continue
            w = term_weight(key) * SITUATION_FACTOR / len(owners)
            self.entries[key].projects.update({n: w for n in owners})
            self.entries[key].situation = True
        for piece, owners in sub.items():
            # A piece shared by many projects (学校, 医疗) tells little; one owner tells a lot.
            # Pieces that are question words (申请 in 低保申请) say what is asked, not about what.
            if (
                piece in direct
                or piece in situations
                or piece in self.stopwords
                or (piece in self.entries and self.entries[piece].cues)
            ):
                continue
            if len(owners) > 3 or piece in GENERIC or _DIRECTIONAL.fullmatch(piece):
                continue  # 回来 in 当兵回来: a verb's direction, not what the name is about
            w = term_weight(piece) * SUBTERM_FACTOR / len(owners)
            self.entries[piece].projects.update({n: w for n in owners})
            self.entries[piece].piece = True
        return sub

    @staticmethod
    def _spoken_forms(key: str, pieces: list[str]) -> list[str]:
        """How residents say a name otherwise: 的 inside (生育的保险), shortened to the first
        character of each word after the first (家庭文化艺术节 -> 家庭文艺节), or a road with
        another ending (万东路 -> 万东道)."""
        out = []
        if all(_ALL_CJK.fullmatch(x) for x in pieces):
            if len(pieces) == 2 and all(len(x) >= 2 for x in pieces):
                out.append("的".join(pieces))
            if len(pieces) >= 3:
                short = pieces[0] + "".join(x[0] for x in pieces[1:])
                if len(short) >= 4:
                    out.append(short)
        road = _ROAD_NAME.search(key)
        stem = key[: road.start()] if road else ""
        if 2 <= len(stem) <= 5 and not stem.endswith(("道", "马", "公", "套", "楼")):
            out += [stem + end for end in ("路", "道", "街") if stem + end != key]
        return out

    def _add_topics(self, kb: KnowledgeBase, sub: dict[str, set[int]]) -> None:
        """Words several projects share (补贴, 培训, 改造): alone they ask for a choice among the
        projects that use them most, ranked by how often each project's source says them."""
        words = {w for w, owners in sub.items() if len(owners) > 1} | TOPIC_GENERIC
        said = _counts(words, {n: p.source for n, p in kb.projects.items()})
        for word in words:
            if word in self.stopwords or (word in self.entries and self.entries[word].cues):
                continue
            counts = said.get(word, {})
            total = sum(counts.values())
            if len(counts) > 1:
                self.entries[word].topic = {n: c / total for n, c in counts.items()}


def _counts(words: set[str], texts: dict[int, str]) -> dict[str, dict[int, int]]:
    """{word: {n: texts[n].count(word)}} without the zeros, in one automaton pass per text
    rather than one scan per word and text (that grew with words x projects)."""
    ac = _automaton((w, w) for w in words)
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for n, text in texts.items():
        counted_to: dict[str, int] = {}  # like str.count: occurrences that do not overlap
        for end, w in ac.iter(text):
            if end - len(w) >= counted_to.get(w, -1):
                counted_to[w] = end
                out[w][n] = out[w].get(n, 0) + 1
    return out


class _Nothing:
    """Stands in for an automaton with no words (pyahocorasick cannot build an empty one)."""

    @staticmethod
    def iter(_text: str):
        return iter(())


def _kept_fits(state: dict, taught) -> bool:
    """A kept lexicon as this code keeps it (else a damaged or planted file): every KEPT
    attribute, (word, weight) pairs taught, one pinyin string per word of pinyin_words. Checked
    type by type over whole lists (map and set run in C: ~1 ms for 400 projects, not ~15)."""
    if not (set(KEPT) <= state.keys() and isinstance(taught, list)):
        return False
    codes, words, entries = state["pinyin_ac_keys"], state["pinyin_words"], state["entries"]
    if not (isinstance(codes, list) and isinstance(words, list) and type(entries) is dict):
        return False
    if not set(map(type, entries.values())) <= {Entry}:
        return False
    if not set(map(len, entries.values())) <= {len(Entry._fields)}:
        return False
    # (entries is a dict by now: each lookup is a hash, and a planted word raises nothing)
    if not (set(map(type, words)) <= {str} and all(map(entries.__contains__, words))):
        return False
    if len(codes) != len(words) or not set(map(type, codes)) <= {str}:
        return False
    if not (set(map(type, taught)) <= {tuple} and set(map(len, taught)) <= {2}):
        return False
    taught_words, weights = (list(x) for x in zip(*taught, strict=True)) if taught else ([], [])
    return (
        set(map(type, taught_words)) <= {str}
        and set(map(type, weights)) <= {int}
        and min(weights, default=0) >= 0
    )


def _automaton(pairs, store=ahocorasick.STORE_ANY):
    """An Aho–Corasick automaton over (key, value) pairs; iter() yields (end index, value)."""
    ac = ahocorasick.Automaton(store)
    for key, value in pairs:
        ac.add_word(key, value)
    if not len(ac):
        return _Nothing()
    ac.make_automaton()
    return ac


def _letter_forms(chars: str) -> list[str]:
    """How letters may stand for these characters: their pinyin (three letters or more), and
    the initials of two or more (失业 -> shiye, sy)."""
    spelled = "".join(char_pinyin(c) for c in chars)
    forms = [spelled] if len(spelled) >= 3 else []
    return forms + (["".join(char_pinyin(c)[0] for c in chars)] if len(chars) >= 2 else [])


def _split_erhua(word: str) -> list[str] | None:
    """Pinyin syllables of one Latin word; nar and zher end in the 儿 of northern speech."""
    pieces = split_syllables(word)
    if pieces is None and len(word) > 2 and word.endswith("r"):
        head = split_syllables(word[:-1])
        return None if head is None else [*head, "er"]
    return pieces


_LATIN = regexcache.compile(r"[a-z]")
_DOUBLED = regexcache.compile(r"([\u4e00-\u9fff])\1|([\u4e00-\u9fff]{2})\2")
_DOUBLED_WORD = regexcache.compile(r"([\u4e00-\u9fff]{2})\1")  # 活动活动
_DOUBLED_HEAD = regexcache.compile(r"([\u4e00-\u9fff])\1([\u4e00-\u9fff])")  # 打打球
_LATIN_RUN = regexcache.compile(r"[a-z]+(?: [a-z]+)*")
_ALL_CJK = regexcache.compile(r"[\u4e00-\u9fff]+")
_DIRECTIONAL = regexcache.compile(r"[回出起过上下进]?[来去]")  # 回来, 出去, 过来…
_LATIN_TAIL = regexcache.compile(r"([\u4e00-\u9fff]{1,3}) ?([a-z]+(?: [a-z]+){0,5})(?![a-z])")
_LATIN_HEAD = regexcache.compile(r"(?<![a-z])([a-z]+(?: [a-z]+){0,5}) ?([\u4e00-\u9fff]{1,2})")
# Kinds of work many projects name (改造, 服务): alone they are a topic worth a choice.
TOPIC_GENERIC = frozenset(["改造", "服务", "设施", "建设", "保障", "更新", "维护"])
