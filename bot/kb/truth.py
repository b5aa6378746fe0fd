"""Mechanical truth checks: every text a resident can read is backed by the source paragraph.

A source fact's wording (text, what, name) may paraphrase its `phrase`, but every number,
every name (places, institutions, departments, brands), every cost or polarity word (免费, 只,
不能…) and every time word (工作日, 年底…) in it must be in that phrase. Staff wording without
a phrase (title, summary, sub-item names, todo notes) is held to the whole source paragraph.
Dated staff entries (`by` + `on`, no phrase) are the staff member's word and are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from bot import regexcache
from bot.kb.claims import unsupported
from bot.kb.schema import FACT_SECTIONS, EntryPoint, KeyDate, Project, Target
from bot.text import format_number, numbers_in

_WS = regexcache.compile(r"\s+")
# A todo note says what the source does NOT say; it must begin by saying so.
TODO_OPENING = "原文"


def _squash(s: str) -> str:
    return _WS.sub("", s)


@lru_cache(maxsize=2)
def _squashed_source(source_text: str) -> str:
    return _squash(source_text)  # once per load, not once per project


Problem = tuple[str, tuple, str]  # (field, yaml path, message)


def truth_errors(p: Project, source_text: str, vocab=None) -> Iterator[Problem]:
    """Yield (field, yaml path, message) for every resident-visible text the source does not back."""
    src = _squash(p.source)
    if src not in _squashed_source(source_text):
        yield "source", ("source",), "is not a verbatim paragraph of the official source text"
    if _squash(p.title) not in src:
        yield "title", ("title",), "is not the heading written in the source paragraph"
    yield from _staff_text("summary", ("summary",), p.summary, p.source)
    for key, note in p.todo.items():
        yield from _todo("todo", key, note, p.source, ("todo", key))
    yield from _item_errors(p, src)
    if vocab is not None:  # without the vocabulary, its missing file is the one error to report
        yield from _group_errors(p, src, vocab.groups)
    names = {it.name for it in p.items}
    for section in FACT_SECTIONS:
        for i, fact in enumerate(getattr(p, section)):
            where = (section, i)
            if fact.item is not None and fact.item not in names:
                yield (
                    f"{section}.{i}.item",
                    where + ("item",),
                    f"{fact.item!r} is not the name of one of this project's items {sorted(names)}",
                )
            if fact.phrase is None:
                continue  # a dated staff entry (`by` + `on`), checked by the schema
            yield from _fact_errors(f"{section}.{i}", where, fact, src)


def _fact_errors(label: str, where: tuple, fact, src: str) -> Iterator[Problem]:
    if _squash(fact.phrase) not in src:
        yield f"{label}.phrase", where + ("phrase",), "not found verbatim in source"
        return
    for part, text in _claims(fact):
        for message in unsupported(text, fact.phrase):
            yield f"{label}.{part}", where + (part,), message.format(backing="phrase")
    # A phone or address the phrase itself quotes is the source's; any other needs a person.
    stated = [x for x in (fact.phone, fact.address) if x] if isinstance(fact, EntryPoint) else []
    if any(_squash(x) not in _squash(fact.phrase) for x in stated):
        yield (
            label,
            where,
            "phone/address not in source: add `by` and `on`"
            " with the staff member who confirmed it, and drop `phrase`",
        )


def _item_errors(p: Project, src: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, it in enumerate(p.items):
        where = ("items", i)
        if it.name in seen:
            yield f"items.{i}.name", where + ("name",), f"duplicate sub-item name {it.name!r}"
        seen.add(it.name)
        yield from _staff_text(f"items.{i}.name", where + ("name",), it.name, p.source)
        if it.means is not None and it.means.phrase is not None:
            yield from _fact_errors(f"items.{i}.means", where + ("means",), it.means, src)
        for key, note in it.todo.items():
            yield from _todo(f"items.{i}.todo", key, note, p.source, where + ("todo", key))


def _group_errors(p: Project, src: str, groups: dict) -> Iterator[Problem]:
    """A group tag must be one of the vocabulary's and quote the source where it names it."""
    for i, it in enumerate(p.items):
        for j, g in enumerate(it.groups):
            where = ("items", i, "groups", j)
            label = f"items.{i}.groups.{j}"
            if g.tag not in groups:
                yield f"{label}.tag", where + ("tag",), f"{g.tag!r} is not a group in vocab.yaml"
                continue
            if g.phrase is None:
                continue  # a dated staff entry
            if _squash(g.phrase) not in src:
                yield f"{label}.phrase", where + ("phrase",), "not found verbatim in source"
            elif not any(n in g.phrase for n in groups[g.tag].names):
                names = "、".join(groups[g.tag].names)
                yield f"{label}.phrase", where + ("phrase",), f"does not name the group ({names})"


def _staff_text(
    label: str, path: tuple, text: str, paragraph: str, polarity: bool = True
) -> Iterator[Problem]:
    for message in unsupported(text, paragraph, polarity):
        yield label, path, message.format(backing="source paragraph")


def _todo(prefix: str, key: str, note: str, paragraph: str, path: tuple) -> Iterator[Problem]:
    label = f"{prefix}.{key}"
    if not note.startswith(TODO_OPENING):
        yield label, path, "a todo note says what the source leaves unsaid: start with 原文未说明"
    yield from _staff_text(label, path, note, paragraph, polarity=False)


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


__all__ = ["numbers_in", "truth_errors"]
