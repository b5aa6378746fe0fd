"""Mechanical truth checks: every source fact quotes its project's paragraph, numbers included."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.kb.schema import FACT_SECTIONS, EntryPoint, KeyDate, Project, Target
from bot.text import format_number, numbers_in

_WS = re.compile(r"\s+")


def _squash(s: str) -> str:
    return _WS.sub("", s)


def truth_errors(p: Project, source_text: str) -> Iterator[tuple[str, tuple, str]]:
    """Yield (field, yaml path, message) for every fact the source does not back."""
    src = _squash(p.source)
    if src not in _squash(source_text):
        yield "source", ("source",), "is not a verbatim paragraph of the official source text"
    # The summary is staff wording, so it cannot quote; its numbers still must be the source's.
    extra = numbers_in(p.summary) - numbers_in(p.source)
    if extra:
        yield "summary", ("summary",), f"numbers {sorted(extra)} are not in the source paragraph"
    for section in FACT_SECTIONS:
        for i, fact in enumerate(getattr(p, section)):
            where = (section, i)
            if fact.phrase is None:
                continue  # a dated staff entry (`by` + `on`), checked by the schema
            if _squash(fact.phrase) not in src:
                yield f"{section}.{i}.phrase", where + ("phrase",), "not found verbatim in source"
                continue
            backed = numbers_in(fact.phrase)
            for label, text in _claims(fact):
                extra = numbers_in(text) - backed
                if extra:
                    yield (
                        f"{section}.{i}.{label}",
                        where + (label,),
                        f"numbers {sorted(extra)} are not in the phrase",
                    )
            # A phone or address the phrase itself quotes is the source's; any other needs a person.
            stated = (
                [x for x in (fact.phone, fact.address) if x] if isinstance(fact, EntryPoint) else []
            )
            if any(_squash(x) not in _squash(fact.phrase) for x in stated):
                yield (
                    f"{section}.{i}",
                    where,
                    "phone/address not in source: add `by` and `on`"
                    " with the staff member who confirmed it, and drop `phrase`",
                )


def _claims(fact) -> Iterator[tuple[str, str]]:
    for label in ("text", "what", "name"):
        value = getattr(fact, label, None)
        if value:
            yield label, value
    if isinstance(fact, Target):
        yield "value", format_number(fact.value)
        if fact.from_value is not None:
            yield "from", format_number(fact.from_value)
    if isinstance(fact, KeyDate):
        yield "date", " ".join(str(int(x)) for x in fact.date.split("-"))
