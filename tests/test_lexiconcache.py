"""A lexicon restored from the cache routes exactly as a built one; an edit builds it again."""

from __future__ import annotations

import json
import pickle
import shutil

from bot.kb import load_kb
from bot.lexicon import KEPT, Entry, Lexicon
from bot.pinyin import pinyin_codes
from bot.router import Router
from tests.conftest import ROOT


def _builds(monkeypatch) -> list[int]:
    """Lexicons built (not restored) from now on."""
    built: list[int] = []
    real = Lexicon._build

    def build(self, kb):
        built.append(len(kb.projects))
        return real(self, kb)

    monkeypatch.setattr(Lexicon, "_build", build)
    return built


def _texts() -> list[str]:
    path = ROOT / "tests" / "data" / "router_holdout.jsonl"
    return [json.loads(x)["text"] for x in path.read_text("utf-8").splitlines() if x.strip()]


def test_a_restored_lexicon_routes_and_cuts_as_a_built_one(kb_copy, monkeypatch):
    built_router = Router(load_kb(kb_copy).kb)
    built = _builds(monkeypatch)
    restored_router = Router(load_kb(kb_copy).kb)
    assert built == []  # from the cache
    a, b = built_router.lex, restored_router.lex
    for name in KEPT:
        assert getattr(a, name) == getattr(b, name), name
    assert a.segmenter is not b.segmenter
    for text in _texts():
        assert b.segmenter.cut(text, False) == a.segmenter.cut(text, False), text
        assert restored_router.analyse(text) == built_router.analyse(text), text


def test_an_edited_file_builds_the_lexicon_again(kb_copy, monkeypatch):
    assert "乒乓球馆" not in Router(load_kb(kb_copy).kb).lex.entries
    path = kb_copy / "2023" / "16-tiyu.yaml"
    text = path.read_text("utf-8")
    assert "健身园, 市民排球场" in text
    path.write_text(text.replace("健身园, 市民排球场", "健身园, 乒乓球馆, 市民排球场"), "utf-8")
    built = _builds(monkeypatch)
    router = Router(load_kb(kb_copy).kb)
    assert built == [20]
    assert router.lex.entries["乒乓球馆"].projects == {16: 3.0}  # a 4-character name of 16


def test_a_damaged_or_planted_file_is_ignored(kb_copy, tmp_path, monkeypatch):
    Router(load_kb(kb_copy).kb)
    (kept,) = (tmp_path / "cache").glob("lexicon-*.pickle")
    kept.write_bytes(b"\x80\x05broken")
    built = _builds(monkeypatch)
    Router(load_kb(kb_copy).kb)
    assert built == [20]

    class Boom:
        def __reduce__(self):
            return (shutil.rmtree, (str(kb_copy),))

    kept.write_bytes(pickle.dumps(({"entries": Boom()}, [])))
    router = Router(load_kb(kb_copy).kb)
    assert built == [20, 20] and (kb_copy / "2023" / "_list.yaml").exists()
    assert router.route("医保住院最高报多少").project == 5

    kept.write_bytes(pickle.dumps(({"entries": {}}, [1, 2])))  # plain data, not a lexicon
    router = Router(load_kb(kb_copy).kb)
    assert built == [20, 20, 20] and router.route("医保住院最高报多少").project == 5


def test_no_cache_folder_means_a_build_every_time(kb_copy, monkeypatch):
    monkeypatch.setenv("MINXIN_CACHE_DIR", "")
    built = _builds(monkeypatch)
    Router(load_kb(kb_copy).kb)
    Router(load_kb(kb_copy).kb)
    assert built == [20, 20]


def test_kept_pinyin_keys_that_do_not_fit_the_words_build_the_lexicon_again(
    kb_copy, tmp_path, monkeypatch
):
    Router(load_kb(kb_copy).kb)
    (kept,) = (tmp_path / "cache").glob("lexicon-*.pickle")
    state, taught = pickle.loads(kept.read_bytes())
    assert len(state["pinyin_ac_keys"]) == len(state["pinyin_words"])
    state["pinyin_ac_keys"] = state["pinyin_ac_keys"][:-1]  # one key short: keys would shift
    kept.write_bytes(pickle.dumps((state, taught)))
    built = _builds(monkeypatch)
    router = Router(load_kb(kb_copy).kb)
    assert built == [20]
    found = [router.lex.pinyin_words[i] for _, i in router.lex.pinyin_ac.iter(pinyin_codes("医包"))]
    assert "医保" in found  # the homophone typo 医包 still reads as 医保


def test_kept_segmenter_words_without_their_weights_build_the_lexicon_again(
    kb_copy, tmp_path, monkeypatch
):
    Router(load_kb(kb_copy).kb)
    (kept,) = (tmp_path / "cache").glob("lexicon-*.pickle")
    state, taught = pickle.loads(kept.read_bytes())
    assert all(isinstance(word, str) and type(weight) is int for word, weight in taught)
    kept.write_bytes(pickle.dumps((state, [word for word, _ in taught])))  # words only
    built = _builds(monkeypatch)
    router = Router(load_kb(kb_copy).kb)
    assert built == [20]
    assert router.route("医保住院最高报多少").project == 5


def test_kept_entries_of_another_shape_build_the_lexicon_again(kb_copy, tmp_path, monkeypatch):
    Router(load_kb(kb_copy).kb)
    (kept,) = (tmp_path / "cache").glob("lexicon-*.pickle")
    state, taught = pickle.loads(kept.read_bytes())
    good = dict(state["entries"])
    for entries in (
        {k: {"projects": e.projects} for k, e in good.items()},  # plain dicts, not entries
        {k: Entry(tuple(e)[:5]) for k, e in good.items()},  # a field short: fields would shift
        list(good.values()),  # not a mapping at all
        7,
    ):
        kept.write_bytes(pickle.dumps(({**state, "entries": entries}, taught)))
        built = _builds(monkeypatch)
        router = Router(load_kb(kb_copy).kb)
        assert built == [20]
        assert router.route("医保住院最高报多少").project == 5
        Router(load_kb(kb_copy).kb)  # (rebuilt, and kept again)
        (kept,) = (tmp_path / "cache").glob("lexicon-*.pickle")


def test_restored_entries_are_tuples_sharing_equal_project_maps(kb_copy):
    Router(load_kb(kb_copy).kb)
    entries = Router(load_kb(kb_copy).kb).lex.entries  # restored
    park = entries["健身园"]
    assert type(park) is Entry and park.projects == {16: 2.5} and park.cues == ()
    assert tuple(park) == ({16: 2.5}, (), 0.0, {}, False, False)
    assert entries["排球场"].projects is park.projects  # one map for the equal ones


def test_kept_pinyin_words_that_are_not_entries_build_the_lexicon_again(
    kb_copy, tmp_path, monkeypatch
):
    Router(load_kb(kb_copy).kb)
    (kept,) = (tmp_path / "cache").glob("lexicon-*.pickle")
    state, taught = pickle.loads(kept.read_bytes())
    words = list(state["pinyin_words"])
    words[words.index("医保")] = "医保卡不存在的词"  # a homophone hit would name no entry
    kept.write_bytes(pickle.dumps(({**state, "pinyin_words": words}, taught)))
    built = _builds(monkeypatch)
    router = Router(load_kb(kb_copy).kb)
    assert built == [20]
    assert router.route("医包住院最高报多少").project == 5  # 医包 read as 医保
