"""The keys that let a dialect rule be skipped: never skip a rule that could match."""

from __future__ import annotations

import re

import pytest

from bot.regexkeys import KeyIndex, required_chars


@pytest.mark.parametrize(
    ("pattern", "keys"),
    [
        ("俺们|俺家", {"俺"}),
        ("(咋|怎么)(整|弄弄|搞|闹)(?!好|完|了)", {"咋", "怎"}),
        ("(?<![干好是])嘛(?=时候|时间)", {"嘛"}),  # lookarounds never count
        ("有何", {"何"}),  # the rarer of two mandatory characters
        ("给(我)?(弄弄|整整|办办)", {"给"}),  # an optional part is not mandatory
        (r"\d+月", {"月"}),
    ],
)
def test_required_chars(pattern, keys):
    assert required_chars(pattern) == keys


def test_a_pattern_that_may_match_without_chinese_has_no_key():
    assert required_chars(r"(哦)?\s+") is None
    assert required_chars(r"[a-z]+") is None


def test_every_dialect_rule_with_a_key_needs_it(holder):
    # Each rule, run on text without its key characters, changes nothing.
    lex = holder.router.lex
    for (compiled, _to), keys in zip(lex.dialect, lex._dialect_keys.keys, strict=True):
        if keys is None:
            continue
        text = compiled.pattern
        sample = "".join(c for c in text if "\u4e00" <= c <= "\u9fff" and c not in keys)
        assert re.compile(text).search(sample) is None, text


def test_a_key_index_offers_in_order_each_pattern_whose_characters_the_text_has():
    index = KeyIndex([frozenset("咋"), None, frozenset("嘛啥"), frozenset("俺")])
    assert index.candidates(set("你咋不说啥")) == [0, 1, 2]
    assert index.candidates(set("俺家")) == [1, 3]
    assert index.candidates(set()) == [1]
