"""The start-up cache: a second start reuses parsed files and truth checks, and never hides an edit."""

from __future__ import annotations

import pickle
import shutil

from bot.kb import cache as kbcache
from bot.kb import load_kb


def _errors(directory) -> list[str]:
    return [str(e) for e in load_kb(directory).errors]


def _parses(monkeypatch) -> list[str]:
    """Names of the files parsed as YAML (not taken from the cache) from now on."""
    seen: list[str] = []
    real = kbcache.KBCache.put_data

    def put_data(self, name, key, data):
        seen.append(name)
        real(self, name, key, data)

    monkeypatch.setattr(kbcache.KBCache, "put_data", put_data)
    return seen


def test_a_second_start_parses_nothing_and_serves_the_same_kb(kb_copy, monkeypatch):
    first = load_kb(kb_copy)
    assert first.ok
    parsed = _parses(monkeypatch)
    second = load_kb(kb_copy)
    assert second.ok and parsed == []
    assert second.kb.projects == first.kb.projects
    assert second.kb.vocab == first.kb.vocab and second.kb.year == first.kb.year


def test_an_edited_file_is_read_again_and_its_error_has_its_line(kb_copy, monkeypatch):
    assert load_kb(kb_copy).ok
    path = kb_copy / "2023" / "16-tiyu.yaml"
    text = path.read_text("utf-8")
    assert "  - text: 更新健身园10个。" in text
    path.write_text(
        text.replace("  - text: 更新健身园10个。", "  - text: 更新健身园10个，免费开放。"), "utf-8"
    )
    line = next(
        i for i, ln in enumerate(path.read_text("utf-8").splitlines(), 1) if "免费开放" in ln
    )
    parsed = _parses(monkeypatch)
    expected = f"{path}:{line}: benefits.0.text: says “免费” but the phrase does not"
    assert expected in _errors(kb_copy)
    assert parsed == ["16-tiyu.yaml"]
    # Reused from the cache the second time: the same error, the same line.
    assert expected in _errors(kb_copy)
    assert parsed == ["16-tiyu.yaml"]


def test_an_error_across_files_still_has_its_line_when_nothing_was_parsed(kb_copy, monkeypatch):
    assert load_kb(kb_copy).ok
    listing = kb_copy / "2023" / "_list.yaml"
    listing.write_text(listing.read_text("utf-8").replace("projects: 20", "projects: 21"), "utf-8")
    line = next(
        i for i, ln in enumerate(listing.read_text("utf-8").splitlines(), 1) if "projects: 21" in ln
    )
    assert _errors(kb_copy) == [f"{listing}:{line}: projects: 第21项没有项目文件（清单共 21 项）"]
    parsed = _parses(monkeypatch)
    assert _errors(kb_copy) == [f"{listing}:{line}: projects: 第21项没有项目文件（清单共 21 项）"]
    assert parsed == []


def test_a_changed_source_text_checks_every_project_again(kb_copy, monkeypatch):
    assert load_kb(kb_copy).ok
    source = kb_copy / "2023" / "source.txt"
    source.write_text(source.read_text("utf-8").replace("健身园10个", "健身园9个"), "utf-8")
    parsed = _parses(monkeypatch)
    errors = _errors(kb_copy)
    assert any("16-tiyu.yaml" in e and "source" in e for e in errors), errors
    assert len(parsed) == 22  # 20 projects, the list and the vocabulary


def test_a_damaged_or_planted_cache_is_ignored(kb_copy, tmp_path):
    assert load_kb(kb_copy).ok
    (cached,) = (tmp_path / "cache").glob("kb-*.pickle")
    cached.write_bytes(b"\x80\x05not a pickle")
    assert load_kb(kb_copy).ok

    class Boom:
        def __reduce__(self):
            return (shutil.rmtree, (str(kb_copy),))

    cached.write_bytes(pickle.dumps({"key": b"", "parsed": Boom()}))
    assert load_kb(kb_copy).ok
    assert (kb_copy / "2023" / "_list.yaml").exists()  # the planted call never ran


def test_no_cache_folder_means_no_cache(kb_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("MINXIN_CACHE_DIR", "")
    assert load_kb(kb_copy).ok
    assert not (tmp_path / "cache").exists()
    parsed = _parses(monkeypatch)
    assert load_kb(kb_copy).ok
    assert len(parsed) == 22


def _validations(monkeypatch) -> list[str]:
    """Names of the schema models validated from now on (not restored from the cache)."""
    from pydantic import BaseModel

    seen: list[str] = []
    real = BaseModel.model_validate.__func__

    def model_validate(cls, obj, *args, **kwargs):
        seen.append(cls.__name__)
        return real(cls, obj, *args, **kwargs)

    monkeypatch.setattr(BaseModel, "model_validate", classmethod(model_validate))
    return seen


def test_a_second_start_validates_nothing_and_an_edit_is_validated_again(kb_copy, monkeypatch):
    first = load_kb(kb_copy)
    validated = _validations(monkeypatch)
    second = load_kb(kb_copy)
    assert second.ok and validated == []
    assert second.kb.projects == first.kb.projects and second.kb.vocab == first.kb.vocab
    assert second.kb.projects[5] is not first.kb.projects[5]  # a copy each start, never shared

    path = kb_copy / "2023" / "16-tiyu.yaml"
    path.write_text(path.read_text("utf-8").replace("number: 16", "number: sixteen"), "utf-8")
    errors = _errors(kb_copy)
    assert validated == ["Project"]
    assert any("16-tiyu.yaml" in e and "number" in e for e in errors), errors


def test_a_planted_model_in_the_cache_is_refused(kb_copy, tmp_path):
    assert load_kb(kb_copy).ok
    (cached,) = (tmp_path / "cache").glob("kb-*.pickle")
    saved = pickle.loads(cached.read_bytes())

    class Boom:
        def __reduce__(self):
            return (shutil.rmtree, (str(kb_copy),))

    digest, _ = saved["models"]["05-yibao.yaml"]
    saved["models"]["05-yibao.yaml"] = (digest, pickle.dumps(Boom()))
    cached.write_bytes(pickle.dumps(saved))
    result = load_kb(kb_copy)
    assert result.ok and result.kb.projects[5].title  # validated again from the file
    assert (kb_copy / "2023" / "_list.yaml").exists()  # the planted call never ran
