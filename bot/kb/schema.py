"""Pydantic models of the YAML files staff edit: one per project, the year list, the vocabulary."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FACT_SECTIONS = ("targets", "benefits", "eligibility", "apply", "dates", "places")
TODO_KEYS = Literal["overview", "benefit", "eligibility", "apply", "deadline", "progress"]
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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


class Project(_Strict):
    number: int = Field(ge=1, le=99)
    title: str = Field(min_length=2)
    category: str = Field(min_length=1)
    summary: str = Field(min_length=4)
    aliases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)  # phrasings accepted from the inbox
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

    @field_validator("aliases", "keywords", "examples")
    @classmethod
    def _no_blank_words(cls, v: list[str]):
        for w in v:
            if not isinstance(w, str) or not w.strip():
                raise ValueError("words must be non-empty strings")
        return [w.strip() for w in v]


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
    projects: int = Field(ge=1, le=99)
    categories: list[str] = Field(min_length=1)


class IntentCues(_Strict):
    cues: dict[str, float] = Field(default_factory=dict)
    patterns: dict[str, float] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: dict[str, float]):
        for p in v:
            try:
                re.compile(p)
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
