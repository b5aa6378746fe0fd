"""bot.storage.shownset: notices shown, 8 bytes each; recent ones folded into the array."""

from __future__ import annotations

from bot.storage import shownset
from bot.storage.shownset import ShownSet


def test_members_recent_and_folded_and_a_forgotten_resident(monkeypatch):
    monkeypatch.setattr(shownset, "FOLD_AT", 3)
    s = ShownSet([("h1", "first"), ("h2", "first"), ("h2", "pii")])
    assert ("h1", "first") in s and ("h2", "pii") in s
    assert ("h1", "pii") not in s and ("h3", "first") not in s
    for i in range(4, 10):  # past FOLD_AT: folded into the sorted array, still members
        s.add((f"h{i}", "first"))
    assert all((f"h{i}", "first") in s for i in range(4, 10))
    assert len(s) == 9
    s.discard_user("h2")
    assert ("h2", "first") not in s and ("h2", "pii") not in s and ("h1", "first") in s
    assert len(s) == 7
