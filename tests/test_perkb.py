"""Per-KB derived data: built once per loaded KB, rebuilt for a reloaded one, dropped with it."""

from __future__ import annotations

import gc

from bot.kb import load_kb
from bot.perkb import kept, per_kb
from handlers import browse


def test_built_once_per_kb_and_again_for_a_new_one():
    first, second = load_kb().kb, load_kb().kb
    calls = []

    def build(kb):
        calls.append(kb)
        return len(kb.projects)

    assert per_kb(first, build) == per_kb(first, build) == len(first.projects)
    assert per_kb(second, build) == len(second.projects)
    assert calls == [first, second]  # a reload's new KB object is never served the old data


def test_a_replaced_kb_takes_its_derived_data_with_it():
    kb = load_kb().kb
    before = kept()
    browse.typed_action(kb, "城市建设", [], None)
    assert kept() == before + 1
    del kb
    gc.collect()
    assert kept() == before


def test_typed_category_names_act_as_before():
    kb = load_kb().kb
    for i, (cat, _) in enumerate(kb.by_category()):
        assert browse.typed_action(kb, f" {cat} ", [], None) == f"cat:{i}"
    assert browse.typed_action(kb, "城市建设怎么样", [], None) is None
