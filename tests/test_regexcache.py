"""Regexes compiled from kept programs are the very patterns `re` compiles; bad files are ignored."""

from __future__ import annotations

import pickle
import re

import pytest

from bot import regexcache
from bot.kb import load_kb
from bot.router import Router


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """regexcache as in a new process, keeping its programs under tmp_path."""
    monkeypatch.setenv("MINXIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(regexcache, "_programs", {})
    monkeypatch.setattr(regexcache, "_compiled", {})
    monkeypatch.setattr(regexcache, "_loaded", False)
    monkeypatch.setattr(regexcache, "_dirty", False)
    monkeypatch.setattr(regexcache, "_required", {})
    return tmp_path


def _new_process(monkeypatch):
    monkeypatch.setattr(regexcache, "_required", {})
    monkeypatch.setattr(regexcache, "_programs", {})
    monkeypatch.setattr(regexcache, "_compiled", {})
    monkeypatch.setattr(regexcache, "_loaded", False)


def test_every_pattern_a_start_compiles_equals_re_compile(fresh_cache, monkeypatch):
    Router(load_kb().kb)  # vocab.yaml's dialect, intent and out-of-scope rules
    regexcache.save()
    assert len(regexcache._programs) > 100
    _new_process(monkeypatch)
    (path,) = fresh_cache.glob("regex-*.pickle")
    kept = {key: regexcache.compile(*key) for key in pickle.loads(path.read_bytes())["programs"]}
    assert not regexcache._dirty  # every one came from the file
    for (pattern, flags), compiled in kept.items():
        assert compiled == re.compile(pattern, flags), pattern  # same flags, program, groups


def test_a_kept_pattern_matches_like_a_fresh_one(fresh_cache, monkeypatch):
    pattern = r"(?P<who>俺|咱)(?:家)?(.{0,3})(?<!不)能(?:不能)?报(?=吗|么)"
    fresh = regexcache.compile(pattern, re.MULTILINE)
    regexcache.save()
    _new_process(monkeypatch)
    kept = regexcache.compile(pattern, re.MULTILINE)
    assert not regexcache._dirty and kept is not fresh
    text = "咱家老人能报吗\n俺不能报么\n俺家孩子能不能报吗"
    assert [m.groupdict() for m in kept.finditer(text)] == [{"who": "咱"}, {"who": "俺"}]
    assert [m.span() for m in kept.finditer(text)] == [m.span() for m in fresh.finditer(text)]
    assert kept.groupindex == {"who": 1} and kept.flags & re.MULTILINE


def test_a_damaged_or_planted_file_is_ignored(fresh_cache, monkeypatch):
    regexcache.compile(r"医保|社保")
    regexcache.save()
    (path,) = fresh_cache.glob("regex-*.pickle")

    path.write_bytes(b"\x80\x05not a pickle")
    _new_process(monkeypatch)
    assert regexcache.compile(r"医保|社保").findall("医保和社保") == ["医保", "社保"]

    class Planted:
        def __reduce__(self):
            return (print, ("planted code ran",))

    path.write_bytes(pickle.dumps({"build": regexcache._BUILD, "programs": Planted()}))
    _new_process(monkeypatch)
    assert regexcache.compile(r"医保|社保").findall("社保") == ["社保"]
    assert regexcache._programs.keys() == {(r"医保|社保", 0)}  # compiled afresh, nothing loaded


def test_a_program_the_engine_rejects_is_compiled_afresh(fresh_cache, monkeypatch):
    regexcache.compile(r"\d+元")
    flags, code, groups, groupindex, indexgroup = regexcache._programs[(r"\d+元", 0)]
    _new_process(monkeypatch)
    regexcache._loaded = True
    regexcache._programs[(r"\d+元", 0)] = (
        flags,
        [99999, *code[1:]],
        groups,
        groupindex,
        indexgroup,
    )
    assert regexcache.compile(r"\d+元").findall("补贴600元") == ["600元"]


def test_a_bad_pattern_raises_as_re_does(fresh_cache):
    with pytest.raises(re.error):
        regexcache.compile(r"(未闭合")


def test_off_when_the_cache_dir_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("MINXIN_CACHE_DIR", "")
    monkeypatch.setattr(regexcache, "_dirty", False)
    regexcache.compile(r"从未见过的式子\d")
    regexcache.save()
    assert not list(tmp_path.iterdir())


def test_the_characters_a_rule_needs_are_kept_too(fresh_cache, monkeypatch):
    from bot import regexkeys

    rules = [r"(俺|咱)们?(?=能)", r"嘛前儿", r"(?<=能)不能", r"\d+"]
    first = [regexcache.required_chars(p) for p in rules]
    assert first[0] == frozenset("俺咱") and first[1] == frozenset("嘛") and first[3] is None
    assert first == [regexkeys.required_chars(p) for p in rules]
    regexcache.save()
    _new_process(monkeypatch)

    def unread(_pattern):
        raise AssertionError("parsed again")

    monkeypatch.setattr(regexkeys, "required_chars", unread)
    assert [regexcache.required_chars(p) for p in rules] == first
