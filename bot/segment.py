"""The process's rjieba dictionaries: one pristine instance shared, handed over whole to extend.

Each rjieba dictionary costs ~0.1 s and ~24 MiB to load. The truth checks (`bot.kb.claims`)
and the lexicon's sub-term split need rjieba's own dictionary untouched; the router then
teaches the lexicon's instance the KB's words. So a start loads one dictionary: the checks use
the pristine instance, then the lexicon adopts it (`adopt`) and the next pristine use, if any,
loads a fresh one. `import rjieba` is avoided: its package __init__ builds a default instance
nobody here uses.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import threading
from pathlib import Path


def _jieba_class():
    """rjieba's Jieba class without running the package's __init__ (its default instance),
    and the file it came from."""
    spec = importlib.util.find_spec("rjieba")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / f"rjieba{suffix}"
            ext = importlib.util.spec_from_file_location("rjieba.rjieba", path)
            if path.exists() and ext and ext.loader:
                module = importlib.util.module_from_spec(ext)
                ext.loader.exec_module(module)
                return module.Jieba, str(path)
    from rjieba import Jieba  # an unusual install: pay for the default instance

    return Jieba, None


Jieba, ORIGIN = _jieba_class()
_lock = threading.Lock()  # a reload adopts in a worker thread while answers cut
_pristine = None


def fresh():
    """A new instance of rjieba's own dictionary, for a caller that will extend it."""
    return Jieba()


def _shared():
    global _pristine
    if _pristine is None:
        _pristine = Jieba()
    return _pristine


def cut(text: str, hmm: bool = True) -> list[str]:
    """Words of `text` by rjieba's own dictionary (no KB word added)."""
    with _lock:
        return _shared().cut(text, hmm)


def has_word(word: str) -> bool:
    """Whether rjieba's own dictionary has `word`."""
    with _lock:
        return _shared().has_word(word)


def adopt():
    """The pristine instance, now the caller's to extend (a fresh one if none is loaded)."""
    global _pristine
    with _lock:
        seg, _pristine = _shared(), None
    return seg
