"""Pydantic models of the YAML files staff edit: one per project, the year list, the vocabulary."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot import regexcache

FACT_SECTIONS = ("targets", "benefits", "eligibility", "apply", "dates", "places")
TODO_KEYS = Literal["overview", "benefit", "eligibility", "apply", "deadline", "progress"]
DATE_RE = regexcache.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class _Strict(BaseModel):
    # defer_build: a start whose files all come from the KB cache validates nothing, so it
    # need not build pydantic's validators (~40 ms) when the classes are defined.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Fact(_Strict):
    """A fact either quotes the source (`phrase`) or is a dated staff entry (`by` + `on`)."""

    phrase: str | None = None
    by: str | None = None
    on: dt.date | None = None
    item: str | None = None  # the sub-item (`items[].name`) this fact is about; None: the whole

    @model_validator(mode="after")
    def _has_provenance(self):
        if not self.phrase and not (self.by and self.on):
            raise ValueError("needs a source `phrase`, or `by` and `on` for a staff entry")
        return self


class Target(Fact):
    what: str = Field(min_length=1)
    value: float
    unit: str = Field(min_length=1)
    # 从每户每月600元提高到800元: value is 800, the old figure is kept here (YAML key `from`).
    from_value: float | None = Field(default=None, alias="from")


class TextFact(Fact):
    text: str = Field(min_length=1)


class EntryPoint(Fact):
    name: str = Field(min_length=1)
    text: str = Field(min_length=1)
    phone: str | None = None
    address: str | None = None


class KeyDate(Fact):
    what: str = Field(min_length=1)
    date: str
    kind: Literal["effective", "start", "completion", "opening", "year"]

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, v):
        if isinstance(v, (dt.date, int)):
            v = str(v)
        if not isinstance(v, str) or not DATE_RE.match(v):
            raise ValueError("date must be YYYY, YYYY-MM or YYYY-MM-DD")
        return v


class Place(Fact):
    name: str = Field(min_length=1)


ITEM_TODO_KEYS = Literal[
    "overview", "benefit", "eligibility", "apply", "deadline", "where", "names", "means", "amount"
]


class GroupTag(Fact):
    """This sub-item serves a group of the vocabulary, where the source names that group."""

    tag: str = Field(min_length=1)


class SubItem(_Strict):
    """One thing a project does (无障碍改造, 免费陪诊…): the words that name it, its definition
    where the source gives one, and what the source leaves unsaid about it."""

    name: str = Field(min_length=2)
    terms: list[str] = Field(default_factory=list)  # residents' words that pick this sub-item
    means: TextFact | None = None  # the source's own explanation (五爱 = 爱祖国、…)
    todo: dict[ITEM_TODO_KEYS, str] = Field(default_factory=dict)
    groups: list[GroupTag] = Field(default_factory=list)

    @field_validator("terms")
    @classmethod
    def _no_blank_terms(cls, v: list[str]):
        if any(not isinstance(w, str) or not w.strip() for w in v):
            raise ValueError("terms must be non-empty strings")
        return [w.strip() for w in v]


class ProgressEntry(_Strict):
    """A dated progress note entered by staff in YAML (admins normally use /progress)."""

    on: dt.date
    by: str = Field(min_length=1)
    status: Literal["未开始", "进行中", "已完成"]
    percent: int | None = Field(default=None, ge=0, le=100)
    note: str = ""


class LearnedExample(_Strict):
    """A phrasing staff accepted (inbox accept, kb example add) with the intent it asks."""

    text: str = Field(min_length=1)
    intent: str | None = None


class Project(_Strict):
    number: int = Field(ge=1, le=9999)  # a city list or several districts: more than 99
    title: str = Field(min_length=2)
    category: str = Field(min_length=1)
    summary: str = Field(min_length=4)
    aliases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    # Phrasings accepted from the inbox: a plain string, or {text, intent} to fix the intent too.
    examples: list[str | LearnedExample] = Field(default_factory=list)
    # Life situations in residents' words (失业, 行动不便): weaker evidence than names.
    situations: list[str] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    benefits: list[TextFact] = Field(default_factory=list)
    eligibility: list[TextFact] = Field(default_factory=list)
    apply: list[EntryPoint] = Field(default_factory=list)
    dates: list[KeyDate] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    items: list[SubItem] = Field(default_factory=list)
    todo: dict[TODO_KEYS, str] = Field(default_factory=dict)
    progress: list[ProgressEntry] = Field(default_factory=list)
    source: str = Field(min_length=4)

    def item(self, name: str | None) -> SubItem | None:
        return next((it for it in self.items if it.name == name), None)

    @field_validator("aliases", "keywords", "situations")
    @classmethod
    def _no_blank_words(cls, v: list[str]):
        for w in v:
            if not isinstance(w, str) or not w.strip():
                raise ValueError("words must be non-empty strings")
        return [w.strip() for w in v]

    @field_validator("examples")
    @classmethod
    def _no_blank_examples(cls, v: list):
        for w in v:
            text = w.text if isinstance(w, LearnedExample) else w
            if not isinstance(text, str) or not text.strip():
                raise ValueError("examples must be non-empty strings or {text, intent}")
        return [w.strip() if isinstance(w, str) else w for w in v]

    @property
    def learned_examples(self) -> list[LearnedExample]:
        return [
            w if isinstance(w, LearnedExample) else LearnedExample(text=w) for w in self.examples
        ]

    @property
    def example_texts(self) -> list[str]:
        return [w.text for w in self.learned_examples]


class Hotline(_Strict):
    name: str = Field(min_length=2)
    number: str = Field(pattern=r"^\d{3,12}$")


class YearList(_Strict):
    year: int = Field(ge=2000, le=2100)
    district: str
    title: str
    source_file: str
    hotline: Hotline
    # How many projects the list has: a project file that disappears is then an error, not a
    # quietly shorter list under a "20项" heading.
    projects: int = Field(ge=1, le=9999)
    categories: list[str] = Field(min_length=1)


class IntentCues(_Strict):
    cues: dict[str, float] = Field(default_factory=dict)
    patterns: dict[str, float] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: dict[str, float]):
        for p in v:
            try:
                regexcache.compile(p)
            except re.error as e:
                raise ValueError(f"bad regex {p!r}: {e}") from e
        return v


class Group(_Strict):
    """A group of residents a sub-item serves (老年人, 残疾人家庭…), as the source and people say it."""

    names: list[str] = Field(
        min_length=1
    )  # source words that name the group (a tag's phrase has one)
    words: list[str] = Field(default_factory=list)  # residents' words for being in it (坐轮椅)
    todo: str | None = None  # the threshold the source leaves undefined (原文未说明“高龄”…)


class Vocab(_Strict):
    groups: dict[str, Group] = Field(default_factory=dict)  # self-check tags (issue 16)
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    intents: dict[str, IntentCues] = Field(default_factory=dict)
    stopwords: list[str] = Field(default_factory=list)
    out_of_scope: dict[str, float] = Field(default_factory=dict)  # word -> weight
    # Predicates of services the list does not provide (找谁来修, 续交医保): regex -> weight.
    out_of_scope_patterns: dict[str, float] = Field(default_factory=dict)
    # Spoken forms by position: regex -> replacement, applied before the synonyms.
    dialect: dict[str, str] = Field(default_factory=dict)
    # Single pinyin syllables typed in Latin letters that stand for one word (ma -> 吗).
    pinyin_words: dict[str, str] = Field(default_factory=dict)
    # Time told in the story, not asked (去年底关门了): question words inside do not count.
    narrative: list[str] = Field(default_factory=list)

    @field_validator("dialect", "out_of_scope_patterns", "narrative")
    @classmethod
    def _dialect_compiles(cls, v):
        for p in v:
            try:
                regexcache.compile(p)
            except re.error as e:
                raise ValueError(f"bad regex {p!r}: {e}") from e
        return v
