"""Redaction: personal information out of any text before it is stored or logged.

`redact(text)` is a pure function every storage path can call: mainland ID numbers (18 digits
with a valid check digit, 15-digit old ones), bank cards (Luhn), mobiles, landlines with an area
code, e-mail addresses and detailed addresses (号楼/单元/室) become a bracketed placeholder.
Routing keeps the original text in memory; only the redacted text reaches a table or a log line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot import regexcache

# Placeholders: one vocabulary, also what the privacy check and the tests look for.
ID_CARD = "[身份证号]"
MOBILE = "[手机号]"
LANDLINE = "[电话]"
BANK_CARD = "[银行卡号]"
EMAIL = "[邮箱]"
ADDRESS = "[详细地址]"
NUMBER = "[号码]"  # a long digit run that is none of the above: still says who asked

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_D = r"(?<!\d)(?<!\d[ -])"  # not inside a longer (possibly spaced) digit run
_E = r"(?![\d])(?![ -]\d)"

_EMAIL = regexcache.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID18 = regexcache.compile(
    _D + r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _E
)
_ID15 = regexcache.compile(
    _D + r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _E
)
# 16-19 digits, optionally in groups of four separated by a space or a hyphen.
_CARD = regexcache.compile(_D + r"\d{4}(?:[ -]?\d{1,4}){3,4}" + _E)
_MOBILE = regexcache.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _E)
# Area code 0xx / 0xxx (optionally in brackets), then 7-8 digits: 022-24125551, (022)2412 5551.
_LANDLINE = regexcache.compile(
    _D
    + r"(?:[(（]0\d{2,3}[)）]|0\d{2,3})[ -]?\d{3,4}[ -]?\d{4}"
    + r"(?:(?:转|-|ext\.?)\d{1,5})?"
    + _E
)
_NUM = r"(?:\d{1,5}|[一二三四五六七八九十百零]{1,4})"
# Building / unit / room chains: 5号楼3单元502室, 12栋301, 3单元502, 2-3-502.
_ADDRESS = regexcache.compile(
    rf"{_NUM}(?:号楼|栋|幢|座)(?:\s*{_NUM}(?:单元|门|层|楼))*(?:\s*\d{{1,5}}(?:室|号|户)?)?"
    rf"|{_NUM}(?:单元|门)\s*\d{{1,5}}(?:室|号|户)?"
    rf"|\d{{1,5}}室"
    rf"|{_D}\d{{1,3}}-\d{{1,2}}-\d{{3,4}}{_E}"
)
# Every pattern needs a digit, an @ or a building word: most questions have none and skip the rest.
_MAYBE = regexcache.compile(r"[\d@]|号楼|栋|幢|座|单元")
_LONG_DIGITS = regexcache.compile(r"\d{7,}[Xx]?|\d(?:[ -]?\d){10,}")


@dataclass(frozen=True)
class Redacted:
    text: str
    kinds: tuple[str, ...]  # placeholders used, in first-found order

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def id_checksum_ok(number: str) -> bool:
    """The GB 11643 check digit of an 18-digit ID number."""
    total = sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def scan(text: str) -> Redacted:
    """The text with every kind of personal information replaced, and which kinds were found."""
    kinds: list[str] = []
    if not _MAYBE.search(text):
        return Redacted(text, ())

    def sub(rx: re.Pattern, label: str, check=None):
        def repl(m: re.Match) -> str:
            if check is not None and not check(m.group(0)):
                return m.group(0)
            if label not in kinds:
                kinds.append(label)
            return label

        return lambda s: rx.sub(repl, s)

    steps = (
        sub(_EMAIL, EMAIL),
        sub(_ID18, ID_CARD, id_checksum_ok),
        sub(_CARD, BANK_CARD, lambda s: 16 <= len(_digits(s)) <= 19 and luhn_ok(_digits(s))),
        sub(_ID15, ID_CARD),
        sub(_MOBILE, MOBILE),
        sub(_LANDLINE, LANDLINE),
        sub(_ADDRESS, ADDRESS),
        sub(_LONG_DIGITS, NUMBER),
    )
    for step in steps:
        text = step(text)
    return Redacted(text, tuple(kinds))


def redact(text: str) -> str:
    """`text` with personal information replaced by placeholders such as [身份证号]."""
    if not text:
        return text
    return scan(text).text


# ---- deleting one's records (every channel: /forget, or typed) ---------------------------
FORGOTTEN = "已删除您在民心通的全部数据（订阅、对话记录）。以后仍可随时提问。"
# Typed requests to delete (WeChat and the web page have no /commands of their own).
_FORGET = regexcache.compile(
    r"^\s*(/forget|(请)?(帮我)?(删除|删掉|清除)(我的)?(全部)?(记录|数据|信息)(吧)?)\s*[。.!！]?\s*$"
)


def asks_to_forget(text: str) -> bool:
    return bool(_FORGET.match(text or ""))


# ---- logs ------------------------------------------------------------------------------------
_USER_KEY = regexcache.compile(r"\b(tg|wx|web|console):[A-Za-z0-9_-]{3,}")


class RedactingFilter(logging.Filter):
    """Redact every record a handler writes: personal information and raw user keys."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let logging report it as usual
            return True
        record.msg, record.args = scrub_log(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub_log(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub_log(record.exc_text)
        return True


def scrub_log(text: str) -> str:
    return redact(_USER_KEY.sub(lambda m: f"{m.group(1)}:***", text))


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Put the redacting filter on every handler of `logger` (default: the root logger)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
