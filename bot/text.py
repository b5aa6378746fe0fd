"""Text normalisation shared by the router and the knowledge checks.

Both sides (resident text and KB terms) go through the same function, so 十五年 in the
source and 15年 typed by a resident meet as the same string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import opencc

from bot import regexcache

_T2S = opencc.OpenCC("t2s")

_NUM_CHARS = "零〇一二两三四五六七八九十百千"
_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SCALES = {"十": 10, "百": 100, "千": 1000}
# Convert numerals only before a measure word: cn2an-style whole-text conversion turns 一下 into 1下.
_UNITS = "个项家张户所条座场名人次届年月日号岁元万平辆套栋处天批期周块"
_NUMERAL_RE = regexcache.compile(f"[{_NUM_CHARS}]+(?=[{_UNITS}])")
_SPACE_RE = regexcache.compile(r"\s+")
# Anything that is not a letter, digit, CJK ideograph or '.' (1.65万) becomes a space.
_PUNCT_RE = regexcache.compile(r"[^\w.\u4e00-\u9fff]+|_")


def chinese_to_int(s: str) -> int | None:
    """Parse a Chinese numeral such as 十五, 二十, 三百, 一千二百; None if it is not one."""
    if not s or any(c not in _NUM_CHARS for c in s):
        return None
    if all(c in _DIGITS for c in s) and len(s) > 1:
        return int("".join(str(_DIGITS[c]) for c in s))  # 二〇二三 -> 2023
    total, current = 0, 0
    for c in s:
        if c in _DIGITS:
            current = _DIGITS[c]
        else:
            scale = _SCALES[c]
            total += (current or 1) * scale
            current = 0
    return total + current


def numerals_to_digits(text: str) -> str:
    """Replace Chinese numerals that stand before a measure word with Arabic digits."""

    def repl(m: re.Match) -> str:
        n = chinese_to_int(m.group(0))
        return m.group(0) if n is None else str(n)

    return _NUMERAL_RE.sub(repl, text)


def strip_controls(text: str) -> str:
    """Drop control, format, surrogate and private-use characters; keep spaces and newlines."""
    return "".join(
        ch if unicodedata.category(ch)[0] != "C" else (" " if ch in "\t\r\n" else "") for ch in text
    )


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Full/half width, traditional to simplified, lower case, numerals, punctuation to spaces."""
    text = unicodedata.normalize("NFKC", strip_controls(text))
    text = _T2S.convert(text).lower()
    text = numerals_to_digits(text)
    text = _PUNCT_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def compact(text: str) -> str:
    """Normalised text without spaces, for substring matching of Chinese terms."""
    return normalise(text).replace(" ", "")


_ARABIC_RE = regexcache.compile(r"\d+(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    """Every number written in the text (Chinese numerals before units included), as strings."""
    return {
        _canon_number(m)
        for m in _ARABIC_RE.findall(numerals_to_digits(unicodedata.normalize("NFKC", text)))
    }


def _canon_number(s: str) -> str:
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.lstrip("0") or "0"


def cut_line(line: str, room: int, size: Callable[[str], int]) -> list[str]:
    """Cut one over-long line at character boundaries into pieces of at most `room`,
    each character measured by `size` (UTF-8 bytes for WeChat, escaped units for Telegram)."""
    pieces, cur, used = [], [], 0
    for ch in line:
        n = size(ch)
        if cur and used + n > room:
            pieces.append("".join(cur))
            cur, used = [], 0
        cur.append(ch)
        used += n
    pieces.append("".join(cur))
    return pieces


def format_number(value: float) -> str:
    """1000.0 -> '1000', 1.65 -> '1.65'."""
    return _canon_number(f"{value:.6f}")
