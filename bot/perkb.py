"""What handlers derive from the knowledge base alone, built once per loaded KB, not per message.

A reload builds a new KnowledgeBase object (and new Project objects), so keying on the object
is the invalidation: the new KB gets its own entries and the old KB's go with it (a weak
reference drops them when the old object is collected). Only functions of the KB or of one of
its projects belong here, never of a message.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# id(kb) -> (weak reference to that kb, {build function: its result})
_DERIVED: dict[int, tuple[weakref.ref, dict[Callable, object]]] = {}


def per_kb(kb, build: Callable[..., T]) -> T:
    """build(kb), computed on the first call for this KB (or project) object and kept while
    it lives."""
    entry = _DERIVED.get(id(kb))
    if entry is None or entry[0]() is not kb:
        entry = (weakref.ref(kb, _dropper(id(kb))), {})
        _DERIVED[id(kb)] = entry
    results = entry[1]
    try:
        return results[build]
    except KeyError:
        value = results[build] = build(kb)
        return value


def _dropper(key: int, table: dict = _DERIVED) -> Callable[[weakref.ref], None]:
    # `table` held here: at interpreter exit a KB may die after this module's globals did.
    def drop(ref: weakref.ref) -> None:
        entry = table.get(key)
        if entry is not None and entry[0] is ref:  # not a newer KB that reuses the id
            del table[key]

    return drop


def kept() -> int:
    """How many KBs have derived data held (tests: a replaced KB's is dropped)."""
    return len(_DERIVED)
