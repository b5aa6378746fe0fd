"""What a question asks inside its intent: a count, a place, names, a definition, yes/no…

The router says which project and intent; these patterns say which point of it the resident
wants, so the answer can give that one fact first (or say the source is silent on exactly it).
They read the same normalised text as the router (bot.text.compact: 十个 -> 10个).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import regexcache
from bot.text import compact

_UNIT = "个家张名位人户所条座场处辆间套项次平方米"
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    # the source's own explanation: 五爱是什么意思 / 冬病夏治是啥 / 口袋公园是什么
    (
        "define",
        regexcache.compile(
            r"(什么意思|啥意思|是什么$|是啥$|是什么东西|是干什么的|是干啥的|干什么的|指的是|指什么|什么叫|啥叫|何为|解释)"
        ),
    ),
    ("name", regexcache.compile(r"(叫什么|叫啥|什么名字|啥名字|名称是|名字是)")),
    # price and level: 多少钱 / 报多少 / 补多少 / 原来是多少 / 比例
    (
        "amount",
        regexcache.compile(
            r"(多少钱|几块钱|(报|补|领|给|拿|发|赔)了?多少|能报|标准是|金额|比例|限额|是多少$|多少$)"
        ),
    ),
    # whether it costs: a bare 免费 names a service (免费陪诊); 免费吗 asks
    (
        "cost",
        regexcache.compile(
            r"(收费|收不收|要钱|要不要钱|花钱|免费吗|免费不|免不免费|是不是免费|掏钱|交钱|自费|付费|贵不贵)"
        ),
    ),
    # how many: 几个 / 多少张 / 多少位老人 / 多大面积 / 一共 / 最少要创建几个
    (
        "count",
        regexcache.compile(
            rf"((?<![哪那这])几[{_UNIT}]|多少(?!钱)[{_UNIT}]?|多大面积|多少面积|一共|总共|共有|有几)"
        ),
    ),
    # where: 从哪天 / 在哪年 ask when, not where
    (
        "where",
        regexcache.compile(
            r"(在哪(?![天年月日号])|哪里|哪儿|什么地方|啥地方|位置|地点|地址|建在|从哪(?![天年月日号])|哪一段|哪段|附近)"
        ),
    ),
    # which ones by name: 哪几个小区 / 哪两所学校 / 哪家医院 / 还有哪个
    ("names", regexcache.compile(r"(哪几|哪两|哪三|哪些|哪个|哪家|哪所|哪条|是哪)")),
    # an attribute the key fact states: 几级 / 几年一贯制 / 什么样的 / 第几届 / 几号路 / 教什么
    (
        "attr",
        regexcache.compile(
            r"(几级|几年|什么样|啥样|什么类型|哪种|第几|几号|教什么|学什么|提升的是什么|主要是什么|主要.{0,4}什么)"
        ),
    ),
)
# 包括加装电梯吗 / 有没有上门服务 / 含不含…: a yes/no about one thing; the thing is group 2.
_YESNO = regexcache.compile(
    r"(包括|包含|含不含|含|有没有|有无|带不带|涉及)(.{1,10}?)(吗|么|没有|不|呢)?$"
)
# 今年五十二了 / 今年80岁 tells an age, not which year's list.
_NOW = regexcache.compile(
    r"(今年(?![\d一二三四五六七八九十]+[岁了多])|现在|目前|当前|如今|眼下|最新|本年度|近期)"
)
_YEAR = regexcache.compile(r"(20\d\d)")
# Questions about the bot's own data: which year, how fresh, from where.
_META = regexcache.compile(
    r"(信息|数据|资料|内容|清单|知识库|你|这些(?=信息|内容|数据|资料)|政策).{0,8}"
    r"(哪[一1]?年|几几年|最新|过时|过期|更新|新的吗|来源|出处|从哪来|哪来的|准不准|靠谱|可靠)"
)


@dataclass(frozen=True)
class Ask:
    kinds: tuple[str, ...] = ()  # count | amount | cost | where | names | attr | define | name
    yes_no: str | None = None  # the thing of 包括…吗, as the resident wrote it
    year: int | None = None  # a year named in the question (2024年的…)
    now: bool = False  # 今年 / 现在 / 最新…

    @property
    def kind(self) -> str | None:
        return self.kinds[0] if self.kinds else None


def read(text: str) -> Ask:
    """The points a question asks about, most specific first."""
    q = compact(text or "")
    if not q:
        return Ask()
    kinds = tuple(k for k, rx in _PATTERNS if rx.search(q))
    if "amount" in kinds and "count" in kinds:
        # 多少钱 is amount; 多少张 is count; a bare 多少 after a unit word decides nothing more.
        kinds = tuple(k for k in kinds if k != ("count" if _money(q) else "amount"))
    m = _YESNO.search(q)
    thing = m.group(2) if m and not kinds else None
    year = next((int(y) for y in _YEAR.findall(q) if 2000 <= int(y) <= 2100), None)
    return Ask(kinds, thing, year, bool(_NOW.search(q)))


def _money(q: str) -> bool:
    return bool(re.search(r"(钱|元|报|补|领|赔|比例|限额|标准|金额|待遇)", q))


def is_meta(text: str) -> bool:
    """Does the question ask what year, source or freshness the bot's information has?"""
    return bool(_META.search(compact(text or "")))
