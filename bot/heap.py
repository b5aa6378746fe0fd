"""The collector and the long-lived heap: what start-up builds is kept out of its full passes.

The knowledge base, router and lexicon are ~95,000 objects that live as long as the process; a
full collection scans them all (~50 ms idle, 0.2-0.6 s measured under load, pausing every answer
in flight: the WeChat benchmark's p99). Frozen, a full pass scans only what answers allocate.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """After start-up and after a reload: collect what is garbage now (a replaced KB too), then
    freeze the rest out of future collections."""
    gc.unfreeze()  # a reload: the old KB's cycles must be collectable before freezing again
    gc.collect()
    gc.freeze()


def resettle() -> None:
    """After a reload: settle again, if start-up settled (`run`; tests and tools never do)."""
    if gc.get_freeze_count():
        settle()
