"""Which characters a regular expression cannot match without: a cheap test before running it.

The dialect rules are ~60 regexes applied to every clause; most clauses contain none of the
characters a rule needs (嘛, 俺, 咋…), so each rule is tried only where one of them is. The key
is read from the parsed pattern: a mandatory Chinese literal, or for a choice the union of each
branch's key (嘛|啥 -> {嘛, 啥}); lookarounds and optional parts never count.
"""

from __future__ import annotations

try:  # Python 3.11+: the parser moved; the old name still works but warns
    from re import _constants as _c
    from re import _parser as _sre
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]


def _cjk(code: int) -> bool:
    return 0x4E00 <= code <= 0x9FFF


def required_chars(pattern: str) -> frozenset[str] | None:
    """Chinese characters of which every match contains at least one, or None when a match
    may contain none of a known set (then the rule is always run)."""
    try:
        parsed = _sre.parse(pattern)
    except Exception:  # noqa: BLE001 - a pattern we cannot read is simply always run
        return None
    keys = _keys(list(parsed))
    return frozenset(keys) if keys else None


# Characters in almost every message: a key made of them filters nothing.
_COMMON = set("的了是我不有人个在这那能可要会就也都和为如本得点多申受问去说一")


def _keys(items) -> set[str] | None:
    """Of the mandatory parts of this sequence, the key least likely to be in any text."""
    found = [k for k in (_item_keys(op, av) for op, av in items) if k]
    if not found:
        return None
    return min(found, key=lambda k: (sum(c in _COMMON for c in k), len(k)))


def _item_keys(op, av) -> set[str] | None:
    if op is _c.LITERAL:
        return {chr(av)} if _cjk(av) else None
    if op is _c.IN:
        members = list(av)
        if members and all(o is _c.LITERAL and _cjk(a) for o, a in members):
            return {chr(a) for _, a in members}
        return None
    if op is _c.SUBPATTERN:
        return _keys(list(av[-1]))
    if op is _c.BRANCH:
        branches = [_keys(list(b)) for b in av[1]]
        return set().union(*branches) if all(branches) else None
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
        return _keys(list(av[2]))
    return None  # lookarounds, optional parts, anything else: not mandatory


class KeyIndex:
    """Which of a list of patterns a text may match, from the characters it contains: each
    pattern is indexed under its required characters (None: always a candidate), so a text
    costs a look-up per distinct character instead of a set test per pattern."""

    def __init__(self, keys: list[frozenset[str] | None]):
        self.keys = keys
        self._by_char: dict[str, list[int]] = {}
        for i, chars in enumerate(keys):
            for c in chars or ():
                self._by_char.setdefault(c, []).append(i)
        self._keyless = [i for i, chars in enumerate(keys) if chars is None]

    def candidates(self, chars: set[str]) -> list[int]:
        """The patterns a text of these characters may match, in list order."""
        by_char = self._by_char
        found = set(self._keyless)
        for c in chars:
            if c in by_char:
                found.update(by_char[c])
        return sorted(found)
