"""Which privacy notices were shown, kept in memory for a process that is the only one showing
them (SQLite: one process per file, by the instance lock; PostgreSQL without redis.url: one
instance, docs/instances.md): a new resident's first message then needs no read at all.

The read was the last thing a first message awaited from storage, and on SQLite it queued behind
the write-behind batch on the one connection: the open-loop benchmark's p99 with 2,000 residents
(most of them new to the process) against 21 ms with 50. Each (user_hash, kind) is kept as a
64-bit digest, 8 bytes in a sorted array (200,000 residents: 1.6 MB), plus a small set of those
shown since, folded into the array now and then.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable

FOLD_AT = 4096  # recent digests kept in a set before they are merged into the array


def digest(user_hash: str, kind: str) -> int:
    """64 bits of the pair: a clash between two residents' notices is a 1 in 2^64 chance."""
    raw = hashlib.blake2b(f"{user_hash}\x1f{kind}".encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big")


class ShownSet:
    def __init__(self, pairs: Iterable[tuple[str, str]] = ()):
        pairs = list(pairs)
        self.kinds = {kind for _, kind in pairs}
        self._sorted = array("Q", sorted({digest(h, k) for h, k in pairs}))
        self._recent: set[int] = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def __contains__(self, pair: tuple[str, str]) -> bool:
        d = digest(*pair)
        if d in self._recent:
            return True
        i = bisect_left(self._sorted, d)
        return i < len(self._sorted) and self._sorted[i] == d

    def add(self, pair: tuple[str, str]) -> None:
        self.kinds.add(pair[1])
        self._recent.add(digest(*pair))
        if len(self._recent) >= FOLD_AT:
            self._rebuild(set())

    def discard_user(self, user_hash: str) -> None:
        """Every notice of one resident forgotten (/forget): shown again if they come back."""
        self._rebuild({digest(user_hash, kind) for kind in self.kinds})

    def _rebuild(self, without: set[int]) -> None:
        merged = set(self._sorted) | self._recent
        self._sorted = array("Q", sorted(merged - without))
        self._recent = set()
