"""Router behaviour: normalisation, typos, synonyms, did-you-mean, out of scope."""

from __future__ import annotations

import pytest

from bot.text import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("醫保報銷，最高２５萬元！", "医保报销 最高25万元"),
        ("二十项民心工程", "20项民心工程"),
        ("十五年一贯制", "15年一贯制"),
        ("了解一下", "了解一下"),  # numerals only before measure words
        ("三百个车位", "300个车位"),
        ("ＡＢＣ\u200b\x00", "abc"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("text", "project", "intent"),
    [
        ("医包住院最高报多少", 5, "benefit"),  # IME homophone typo of 医保
        ("停车泊为在哪里", 10, "overview"),  # 泊为 -> 泊位
        ("養老床位怎麼申請", 4, "apply"),  # traditional characters
        ("暖气不热能改造吗", 11, "eligibility"),  # colloquial 暖气 for 供热
        ("三百个车位建好了没", 10, "progress"),  # Chinese numeral before a unit
        ("长护险谁能申请", 5, "eligibility"),
        ("退伍军人服务站在哪", 20, "overview"),
        ("老年食堂吃饭要钱吗", 4, "benefit"),
        ("公租房补贴多会儿能申请", 7, "deadline"),  # Tianjin 多会儿 = 什么时候
        ("第十项是什么", 10, "overview"),
    ],
)
def test_routes_colloquial_questions(holder, text, project, intent):
    route = holder.router.route(text)
    assert (route.project, route.intent) == (project, intent), route


@pytest.mark.parametrize("text", ["护照怎么办", "今天天气怎么样", "推荐个好吃的饭馆", "asdfgh"])
def test_unrelated_questions_are_out_of_scope(holder, text):
    route = holder.router.route(text)
    assert route.project is None and route.intent == "out_of_scope"


def test_confidence_is_a_probability_and_alternatives_are_projects(holder):
    for text in ["医保", "改造", "社区", "道路绿化和道路建设", "你好"]:
        r = holder.router.route(text)
        assert 0.0 <= r.confidence <= 1.0
        assert all(a.project in holder.kb.projects for a in r.alternatives)


def test_a_word_shared_by_two_projects_offers_a_choice(holder):
    # 道路 belongs to road building (9), 道路绿化 to greening (15): both named, no winner
    r = holder.router.route("道路绿化和道路建设")
    assert r.project in (9, 15)
    assert {a.project for a in r.alternatives} == {9, 15}
    assert r.confidence < 0.5


def test_long_input_is_not_routed(holder):
    r = holder.router.route("医保" * 5000)
    assert r.too_long and r.project is None


def test_pattern_keys_only_skip_searches_that_would_fail(holder):
    """A pattern is searched only where a character it cannot match without occurs: routing
    with every key learned equals routing with none (every pattern searched everywhere)."""
    import json
    from pathlib import Path

    from bot.regexkeys import KeyIndex
    from bot.router import Router

    data = Path(__file__).parent / "data"
    texts = [
        json.loads(line)["text"]
        for name in ("router_holdout.jsonl",)
        for line in (data / name).read_text("utf-8").splitlines()
        if line.strip()
    ]
    keyed, plain = Router(holder.kb), Router(holder.kb)
    assert any(k is not None for k in keyed._intents.keys)
    # Every pattern and dialect rule tried everywhere: no keys, all of them keyless.
    plain._intents = KeyIndex([None] * len(plain._intents.keys))
    plain._oos = KeyIndex([None] * len(plain._oos.keys))
    plain.lex._dialect_keys = KeyIndex([None] * len(plain.lex._dialect_keys.keys))
    for text in texts:
        assert keyed.analyse(text) == plain.analyse(text), text


def test_nearest_spelling_memo_is_bounded_and_changes_no_route(holder, monkeypatch):
    import json
    from pathlib import Path

    from bot import router as router_mod
    from bot.router import Router

    path = Path(__file__).parent / "data" / "router_holdout.jsonl"
    texts = [json.loads(x)["text"] for x in path.read_text("utf-8").splitlines() if x.strip()]
    fresh = Router(holder.kb)
    expected = []
    for text in texts:  # a memo emptied before each text: every word looked up anew
        for memo in fresh._nearest.values():
            memo.clear()
        expected.append(fresh.analyse(text))
    monkeypatch.setattr(router_mod, "NEAREST_MEMO", 8)
    kept = Router(holder.kb)
    assert [kept.analyse(t) for t in texts + texts] == expected + expected
    assert all(len(memo) <= 8 for memo in kept._nearest.values())
    assert any(kept._nearest.values())


def test_latin_word_test_agrees_with_the_pattern_on_every_lexicon_word(holder):
    from bot.hits import LATIN_WORD
    from bot.router import _is_latin_word

    words = [*holder.router.lex.entries, "Hi", "ok1", "ｏｋ", "é", ""]
    assert [w for w in words if _is_latin_word(w)] == [w for w in words if LATIN_WORD.fullmatch(w)]
    assert any(_is_latin_word(w) for w in words)
