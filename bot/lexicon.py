"""The router's lexicon, built once per knowledge base: terms, cues, pinyin keys, a segmenter.

Every KB word goes through the same normalisation as resident text, so both meet as equal strings.
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import rjieba

from bot.kb.model import KnowledgeBase
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
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]{2}")
TITLE_BONUS = 1.2
SUBTERM_FACTOR = 0.6
PINYIN_FACTOR = 0.9


def _load_pinyin_table() -> dict[int, str]:
    """pypinyin's per-character table, loaded alone.

    Importing the pypinyin package also loads its phrase dictionary (~0.15 s at every start);
    the router only needs single characters, so run just the data module.
    """
    spec = importlib.util.find_spec("pypinyin")
    path = spec.origin.rsplit("__init__.py", 1)[0] + "pinyin_dict.py" if spec else None
    data_spec = (
        importlib.util.spec_from_file_location("_minxin_pinyin_dict", path) if path else None
    )
    if data_spec is None or data_spec.loader is None:
        from pypinyin.pinyin_dict import pinyin_dict as table

        return table
    module = importlib.util.module_from_spec(data_spec)
    data_spec.loader.exec_module(module)
    return module.pinyin_dict


pinyin_dict = _load_pinyin_table()
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


@lru_cache(maxsize=16384)
def char_pinyin(ch: str) -> str:
    """Toneless pinyin of one character (its first reading); others stand for themselves."""
    readings = pinyin_dict.get(ord(ch))
    if readings is None:
        return ch
    return readings.split(",", 1)[0].translate(_TONELESS)


def pinyin_key(text: str) -> str:
    return " ".join(char_pinyin(c) for c in text)


def term_weight(term: str) -> float:
    """Longer terms are more specific: 老旧小区改造 says more than 小区."""
    return min(1.0 + 0.5 * len(term), 5.0)


def domain_segmenter() -> rjieba.Jieba:
    """A fresh segmenter that will learn this KB's words (~0.1 s to load its dictionary).

    Not rjieba's default instance: that one must stay pristine to split KB terms into
    sub-terms, and would stop doing so once the terms were added (every reload would route
    differently). Fresh per KB: a reload built in a worker thread never touches the instance
    that is serving, and words deleted from the KB leave with the old one.
    """
    return rjieba.Jieba()


@dataclass
class Entry:
    """Everything one normalised string means to the router."""

    projects: dict[int, float] = field(default_factory=dict)
    cues: list[tuple[str, float]] = field(default_factory=list)
    oos: float = 0.0  # weight of evidence that the question is outside the list


class Lexicon:
    def __init__(self, kb: KnowledgeBase):
        self._fold_map: dict[str, str] = {}
        for canon, variants in kb.vocab.synonyms.items():
            for v in variants:
                self._fold_map[compact(v)] = compact(canon)
        alts = sorted(self._fold_map, key=len, reverse=True)
        self._fold_re = re.compile("|".join(map(re.escape, alts))) if alts else None

        self.entries: dict[str, Entry] = defaultdict(Entry)
        for intent, spec in kb.vocab.intents.items():
            for cue, w in spec.cues.items():
                key = self.fold(compact(cue))
                if key:
                    self.entries[key].cues.append((intent, w))
        self.stopwords = frozenset(self.fold(compact(w)) for w in kb.vocab.stopwords)
        self._add_project_terms(kb)
        self.patterns = [
            (re.compile(p), intent, w)
            for intent, spec in kb.vocab.intents.items()
            for p, w in spec.patterns.items()
        ]
        for word, weight in kb.vocab.out_of_scope.items():
            key = self.fold(compact(word))
            if key:
                self.entries[key].oos = weight
        self.entries = dict(self.entries)
        self.max_len = max(len(k) for k in self.entries)

        # Toneless pinyin of every multi-character entry, for IME homophone typos (医包 -> 医保).
        self.by_pinyin: dict[str, str] = {}
        for key in sorted(self.entries, key=len):
            if len(key) >= 2:
                self.by_pinyin.setdefault(pinyin_key(key), key)

        self.project_term_list = [k for k, e in self.entries.items() if e.projects and len(k) >= 3]
        self.cue_list = [k for k, e in self.entries.items() if e.cues and len(k) >= 3]
        self.segmenter = domain_segmenter()
        for key in self.entries:
            if len(key) >= 2 and not self.segmenter.has_word(key):
                self.segmenter.add_word(key, None, None)

    def fold(self, text: str) -> str:
        """Replace colloquial and dialect spellings with the canonical word."""
        if self._fold_re is None:
            return text
        return self._fold_re.sub(lambda m: self._fold_map[m.group(0)], text)

    def _add_project_terms(self, kb: KnowledgeBase) -> None:
        direct: dict[str, dict[int, float]] = defaultdict(dict)
        sub: dict[str, set[int]] = defaultdict(set)
        for n, p in kb.projects.items():
            words = [(p.title, TITLE_BONUS)]
            words += [(w, 1.0) for w in (*p.aliases, *p.keywords, *p.examples)]
            words += [(pl.name, 1.0) for pl in p.places]
            for word, bonus in words:
                key = self.fold(compact(word))
                if len(key) < 2:
                    continue
                direct[key][n] = max(direct[key].get(n, 0.0), term_weight(key) * bonus)
                for piece in rjieba.cut(key):
                    if (
                        len(piece) >= 2
                        and piece != key
                        and piece not in GENERIC
                        and _HAS_CJK.search(piece)
                    ):
                        sub[piece].add(n)
        for key, owners in direct.items():
            share = 1.0 / len(owners)
            self.entries[key].projects.update({n: w * share for n, w in owners.items()})
        for piece, owners in sub.items():
            # A piece shared by many projects (学校, 医疗) tells little; one owner tells a lot.
            # Pieces that are question words (申请 in 低保申请) say what is asked, not about what.
            if (
                piece in direct
                or len(owners) > 3
                or piece in self.stopwords
                or (piece in self.entries and self.entries[piece].cues)
            ):
                continue
            w = term_weight(piece) * SUBTERM_FACTOR / len(owners)
            self.entries[piece].projects.update({n: w for n in owners})
