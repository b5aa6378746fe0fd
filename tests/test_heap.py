"""bot.heap: what start-up built is frozen out of the collector's scans, and a reload lets the
replaced knowledge base go (frozen objects are never collected until unfrozen)."""

from __future__ import annotations

import gc
import weakref

from bot import heap


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it, never reference counting


def test_a_reload_collects_the_replaced_graph_and_freezes_the_new_one():
    old = Node()
    gone = weakref.ref(old)
    try:
        heap.settle()  # start-up: `old` is the KB of the day, frozen
        assert gc.get_freeze_count() > 0
        del old  # a reload replaced it
        gc.collect()
        assert gone() is not None  # frozen: a full collection does not even look at it
        heap.resettle()
        assert gone() is None
        assert gc.get_freeze_count() > 0  # and what lives on is frozen again
    finally:
        gc.unfreeze()


def test_nothing_is_frozen_where_start_up_did_not_settle():
    gc.unfreeze()
    heap.resettle()  # tests, tools, `ask`: a reload leaves the collector alone
    assert gc.get_freeze_count() == 0
