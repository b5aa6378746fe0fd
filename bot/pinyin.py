"""Toneless pinyin of Chinese characters from a 60 KB table, and Latin letters split into syllables.

The table is generated from pypinyin (`python -m bot.pinyin` rewrites bot/data/pinyin.txt);
loading pypinyin's own per-character dictionary at every start cost ~20 MiB and ~0.1 s.
Line 1 lists the syllables; line 2 holds, for every code point from U+3400 to U+9FFF, one
character whose code minus 0x100 indexes the first reading (a space where there is none);
the remaining lines give the further readings of characters that have several.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "pinyin.txt"
FIRST, LAST = 0x3400, 0x9FFF
_BASE = 0x100
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _load() -> tuple[list[str], str, list[str]]:
    if not DATA.exists():  # only while `build` writes it for the first time
        return [], " " * (LAST - FIRST + 1), []
    lines = DATA.read_text(encoding="utf-8").split("\n")
    return lines[0].split(" "), lines[1], lines[2:]


SYLLABLES, _FIRST_READING, _MORE = _load()
# Syllables a resident may type; interjections without a vowel (hm, ng) would split anything.
TYPABLE = frozenset(s for s in SYLLABLES if any(v in s for v in "aeiouv"))
_LONGEST = max(map(len, TYPABLE), default=1)


def char_pinyin(ch: str) -> str:
    """Toneless pinyin of one character (its first reading); others stand for themselves."""
    cp = ord(ch)
    if FIRST <= cp <= LAST:
        code = _FIRST_READING[cp - FIRST]
        if code != " ":
            return SYLLABLES[ord(code) - _BASE]
    return ch


_PRIVATE = 0xF0000 - _BASE  # syllable i is coded as U+F0000 + i: no character typed is there


@lru_cache(maxsize=16384)
def _code(ch: str) -> str:
    cp = ord(ch)
    if FIRST <= cp <= LAST:
        code = _FIRST_READING[cp - FIRST]
        if code != " ":
            return chr(_PRIVATE + ord(code))
    return ch


def pinyin_codes(text: str) -> str:
    """The text with each character replaced by one code for its first toneless reading:
    homophones become equal strings of the same length (医包 and 医保), for substring search."""
    return "".join([_code(c) for c in text])


@lru_cache(maxsize=1)
def _more_readings() -> dict[str, tuple[str, ...]]:
    return {line[0]: tuple(line[2:].split(" ")) for line in _MORE if line}


def readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of a character, the first one first (行 -> xing, hang)."""
    return (char_pinyin(ch), *_more_readings().get(ch, ()))


def split_syllables(word: str) -> list[str] | None:
    """Split a run of Latin letters into pinyin syllables (fewest pieces), or None if impossible.

    Fewest pieces reads xian as 先, not 西安, as an IME would; ties go to the longer first piece.
    """
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + _LONGEST), i, -1):
            rest = best[j]
            if rest is not None and word[i:j] in TYPABLE:
                cand = [word[i:j], *rest]
                if best[i] is None or len(cand) < len(best[i]):
                    best[i] = cand
    return best[0]


def build() -> None:
    """Regenerate the table from pypinyin (a development step; the bot never imports pypinyin)."""
    from pypinyin.pinyin_dict import pinyin_dict

    table = {}
    for cp in range(FIRST, LAST + 1):
        raw = pinyin_dict.get(cp)
        if raw:
            table[cp] = list(dict.fromkeys(r.translate(_TONELESS) for r in raw.split(",")))
    syllables = sorted({r for rs in table.values() for r in rs})
    index = {s: i for i, s in enumerate(syllables)}
    first = "".join(
        chr(_BASE + index[table[cp][0]]) if cp in table else " " for cp in range(FIRST, LAST + 1)
    )
    more = [f"{chr(cp)} {' '.join(rs[1:])}" for cp, rs in table.items() if len(rs) > 1]
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text("\n".join([" ".join(syllables), first, *more]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    build()
