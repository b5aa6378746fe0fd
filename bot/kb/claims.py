"""What a sentence claims beyond its plain words: numbers, names, cost/polarity and time words.

`unsupported(text, backing)` lists the claims of `text` that `backing` (a source phrase or
paragraph) does not make. The same `names_in` serves the answer tests: an answer may only name
what the knowledge base names.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from bot import (
    regexcache,
    segment,  # rjieba's own dictionary, never extended (see bot.segment)
)
from bot.text import numbers_in

_WS = regexcache.compile(r"\s+")
_CJK = regexcache.compile(r"^[\u4e00-\u9fff]+$")
_LATIN = regexcache.compile(r"^[A-Za-z][A-Za-z&'.-]+$")  # a brand written in letters (KFC)


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Staff notes inside a fact's wording, e.g. （原文未说明具体哪些用户）, claim nothing.
_NOTE = regexcache.compile(r"[（(]原文[^）)]*[）)]")

# Words that change who may use a service, what it costs or whether it happens at all.
POLARITY_WORDS = (
    "免费", "收费", "付费", "自费", "无偿", "有偿", "全免", "减免", "补贴", "报销",
    "只", "仅", "限", "唯一", "专门", "专供", "优先", "一律", "均", "全部", "所有", "任何",
    "都可", "都能", "必须", "须", "无需", "无须", "不需", "不用", "禁止",
    "不", "未", "无", "没", "非", "勿",
    "户籍", "户口", "本地", "外地", "常住", "本小区", "本社区", "本区",
    "以上", "以下", "至少", "最多", "最少", "不少于", "超过", "每户", "每人", "每月", "每年",
)  # fmt: skip
# Time words: when a service runs or whether it already happened.
TIME_WORDS = (
    "工作日", "周末", "节假日", "上午", "下午", "晚上", "夜间", "全天", "小时", "每天", "每周",
    "春节", "国庆", "年底", "年初", "年内", "年中", "上半年", "下半年", "月底", "月初",
    "今年", "明年", "去年", "当年", "近期", "即将", "已",
)  # fmt: skip
# A token that ends like a name of a place, institution, department or shop...
NAME_ENDINGS = (
    "局", "委", "厅", "署", "院", "馆", "站", "店", "厂", "园", "苑", "庄", "村", "镇", "府",
    "城", "楼", "桥", "街", "路", "道", "里", "巷", "中心", "学校", "小学", "中学", "大学",
    "公司", "集团", "银行", "超市", "商场", "社区", "街道", "小区", "公寓", "花园", "广场",
    "大厦", "市场", "食堂", "门诊", "诊所", "部门", "基地", "协会", "委员会", "办事处",
)  # fmt: skip
# ...but these are ordinary words, not names.
PLAIN_WORDS = _words(
    "渠道 通道 知道 哪里 这里 那里 布局 格局 学院 医院 社区 街道 学校 中心 部门 市场 公园"
    " 道路 网路 思路 线路 路网 公路 马路 站点 味道 报道 一道 大道"
)
# A generic head after a modifier makes a name: 第一+中学, 大王+庄, 民政+部门.
NAME_HEADS = _words(
    "医院 学校 小学 中学 大学 公司 集团 银行 超市 商场 社区 街道 小区 公寓 花园 广场 大厦 中心"
    " 服务中心 服务站 居委会 派出所 路 街 道 里 苑 园 庄 村 镇 府 城 楼 桥 站 局 店 馆"
)
_FUNCTION = _words("在 到 向 对 由 为 和 与 及 或 的 把 从 给 于 以 等 共 可 将")
# Question and quantity words before a head ask about a kind, not name one: 哪些小区, 两个小区.
_NOT_MODIFIERS = _words(
    "哪些 哪个 哪家 哪所 哪里 其他 其它 这些 那些 这个 那个 各个 每个 多少 几个 两个 两所 说明"
    " 未说明 具体 相关 所在 附近 新建 新的 所有 全部 一些 部分 一个 全区 全市 各区"
)


_COUNT = regexcache.compile(r"[\d.]+[个所家张户条座场名人次万]*")
# 这一项 / 那一点 point at something; they count nothing.
_ONE = regexcache.compile(r"[这那]一(?=[项点次])")


def squash(s: str) -> str:
    return _WS.sub("", s)


def _strip_notes(text: str) -> str:
    return _NOTE.sub("", text)


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(segment.cut(text))


def names_in(text: str) -> set[str]:
    """Strings in `text` that look like names of places, institutions, departments or brands."""
    out: set[str] = set()
    toks = _tokens(_strip_notes(text))
    for k, tok in enumerate(toks):
        if _LATIN.match(tok):
            out.add(tok)
            continue
        if not _CJK.match(tok):
            continue
        prev = toks[k - 1] if k else ""
        if tok in NAME_HEADS:
            if len(prev) >= 2 and _CJK.match(prev) and prev not in _NOT_MODIFIERS:
                out.add(prev + tok)
        elif len(tok) >= 2 and tok not in PLAIN_WORDS and tok.endswith(NAME_ENDINGS):
            if not any(tok == e for e in NAME_ENDINGS):
                out.add(tok)
        elif len(tok) >= 3 and tok[0] not in _FUNCTION and not segment.has_word(tok):
            # Not in the dictionary: a proper noun the segmenter guessed (唐家口, 美宜佳).
            out.add(tok)
    return out


@lru_cache(maxsize=64)
def _backing(backing: str) -> tuple[str, str]:
    """The backing text squashed, and again without counts; one paragraph backs every staff
    wording of its project, so it is normalised once, not once per wording."""
    back = squash(unicodedata.normalize("NFKC", backing))
    # A wording that drops the number (冬青园3个老旧小区 -> 冬青园老旧小区) is segmented anew.
    return back, _COUNT.sub("", back)


def unsupported(text: str, backing: str, polarity: bool = True) -> list[str]:
    """Messages for each claim of `text` that `backing` does not make (empty: all backed);
    each has a `{backing}` slot for the caller to say what backs it (phrase, paragraph).
    `polarity=False` for todo notes, which name what is NOT said (是否收费, 未说明)."""
    problems = []
    extra = numbers_in(_ONE.sub("这", text)) - numbers_in(backing)
    if extra:
        problems.append(f"numbers {sorted(extra)} are not in the {{backing}}")
    body = squash(_strip_notes(text))
    back, bare = _backing(backing)
    names = sorted(n for n in names_in(text) if n not in back and n not in bare)
    if names:
        problems.append("names " + "、".join(names) + ", which the {backing} does not name")
    words = [w for w in (*POLARITY_WORDS, *TIME_WORDS) if polarity and w in body and w not in back]
    # 不少于 in the text covers 不 and 少: report the longest word, not its pieces.
    words = [w for w in words if not any(w != o and w in o for o in words)]
    if words:
        problems.append(
            "says " + "、".join(f"“{w}”" for w in words) + " but the {backing} does not"
        )
    return problems
