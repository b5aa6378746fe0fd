"""A built lexicon kept between starts, like the KB cache keeps validated files.

Building the router's lexicon (~30 ms for 20 projects, ~0.3 ms more per project: every name,
keyword, place and situation normalised, cut into pieces, given spoken forms and pinyin keys)
is a pure function of the KB's files and the building code, so its result is kept under their
hashes. What is kept is plain data and the lexicon's own Entry and Example records (with the
pinyin automaton's keys, as strings); the rules (regexes, from bot.regexcache), the automatons
(pyahocorasick's own pickles would hand its C code unchecked node data) and the segmenter are
made anew at every start, and the segmenter is taught the same words with the same weights in
the same order as when the lexicon was built.
"""

from __future__ import annotations

from pathlib import Path

from bot import cachedir

FORMAT = 6  # 2-5 (round 5): the pinyin automaton's keys, the segmenter's weights, Entry's form;
# 6 (round 6): Entry a tuple made in C, equal project maps shared
KEEP = 8  # cache files kept (one per KB); the oldest go first
_CODE = ("lexicon.py", "lexiconcache.py", "pinyin.py", "data/pinyin.txt", "text.py")
_CODE += ("regexkeys.py", "segment.py", "kb/schema.py")  # files of the bot package


def _lexicon_records(module: str, name: str) -> bool:
    return module == "bot.lexicon" and name in ("Entry", "Example")


def _path(kb) -> Path | None:
    """Where this KB's lexicon is kept, by the KB's files and the code; None when not kept."""
    folder = cachedir.cache_dir()
    if folder is None or not getattr(kb, "digest", b""):
        return None
    from bot.segment import ORIGIN

    # The segmenter's dictionary and the simplified/traditional tables decide cuts and keys.
    made_by = cachedir.fingerprint(f"{FORMAT}".encode() + kb.digest, _CODE, (ORIGIN,), ["opencc"])
    return folder / f"lexicon-{made_by.hex()[:24]}.pickle"


def load(kb) -> tuple[dict, list[str]] | None:
    """(the lexicon's data, the (word, weight) pairs its segmenter was taught), or None."""
    try:
        path = _path(kb)
        if path is None:
            return None
        state, taught = cachedir.read(path, _lexicon_records)
    except Exception:  # missing, unreadable, damaged or planted: the lexicon is built
        return None
    if not isinstance(state, dict) or not isinstance(taught, list):
        return None
    return state, taught


def save(kb, state: dict, taught: list[tuple[str, int]]) -> None:
    path = _path(kb)
    if path is not None:
        cachedir.write(path, (state, taught), keep=KEEP)


__all__ = ["load", "save"]
