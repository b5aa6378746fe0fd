"""What a start can reuse from the last one: each file's validated model and each project's truth check.

Parsing YAML (~1.5 ms a project file), validating it with the schema (~1 ms, and ~40 ms to
build pydantic's validators at all) and the truth checks (~1 ms a project, and a ~0.1 s
segmenter dictionary) grew a start with the size of the KB. All three are pure functions of
the file's bytes, the year's source.txt, vocab.yaml and the checking code (schema, YAML parser,
pydantic), so their results are kept, per KB folder and year, under those bytes' hashes; a file
whose bytes changed is parsed, validated and checked again, and a change to source.txt,
vocab.yaml or the checking code drops it all. Every start still checks across files (numbers,
categories, the list's count): only the per-file work is skipped.

Where: bot.cachedir (MINXIN_CACHE_DIR, else ~/.cache/minxinbot); MINXIN_CACHE_DIR="" turns it
off. A cache that cannot be read or written is ignored (a start only gets slower).
Only plain data and the schema's own models are unpickled: a planted file cannot run code.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from bot import cachedir
from bot.cachedir import cache_dir

FORMAT = 3  # 3: parsed files kept pickled, read only when their model is not
KEEP = 8  # cache files kept (one per KB folder and year); the oldest go first
_CODE = ("kb/claims.py", "kb/loader.py", "kb/schema.py", "kb/truth.py", "kb/yamllines.py")
_CODE += ("kb/cache.py", "text.py", "segment.py")  # files of the bot package
_SAFE = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone")}
_SAFE |= {("datetime", "timedelta")}


def _code_fingerprint() -> bytes:
    """The checking code, the YAML parser and the segmenter's dictionary: a new version of
    any of them parses and checks anew."""
    from bot.segment import ORIGIN

    # Located, not imported: a warm start needs no YAML. pydantic's version decides validation.
    modules = ("yaml", "pydantic", "pydantic_core")
    return cachedir.fingerprint(f"{FORMAT}".encode(), _CODE, (ORIGIN,), modules)


def digest(raw: bytes) -> bytes:
    return hashlib.sha1(raw).digest()


def _plain(module: str, name: str) -> bool:
    return (module, name) in _SAFE


def _plain_or_model(module: str, name: str) -> bool:
    """Plain data and the schema's models (pydantic restores their fields without validating)."""
    if module != "bot.kb.schema":
        return _plain(module, name)
    from pydantic import BaseModel

    from bot.kb import schema

    cls = getattr(schema, name, None)
    return isinstance(cls, type) and issubclass(cls, BaseModel)


class KBCache:
    """Parsed files and truth results of one KB year folder, valid for one context."""

    def __init__(self, ydir: Path, context: list[bytes]):
        self.path: Path | None = None
        # file name -> (digest, pickled data). Kept pickled like the models: a warm start uses
        # the models and reads a file's parsed data only when its model is missing (unpickling
        # every file's data up front was ~15 ms of a 400-project start).
        self.parsed: dict[str, tuple[bytes, bytes]] = {}
        self.truth: dict[str, tuple[bytes, list]] = {}  # file name -> (digest, problems)
        self.models: dict[str, tuple[bytes, bytes]] = {}  # file name -> (digest, pickled model)
        self.dirty = False
        try:
            folder = cache_dir()
            if folder is None:
                return
            self.key = hashlib.sha1(_code_fingerprint() + b"".join(context)).digest()
            name = hashlib.sha1(str(ydir.resolve()).encode()).hexdigest()[:16]
            self.path = folder / f"kb-{name}.pickle"
            saved = cachedir.read(self.path, _plain)
        except Exception:  # missing, unreadable or damaged (unpickling can raise almost anything)
            return
        if isinstance(saved, dict) and saved.get("key") == self.key:
            self.parsed = saved.get("parsed", {})
            self.truth = saved.get("truth", {})
            self.models = saved.get("models", {})

    def data(self, name: str, raw_digest: bytes):
        """The file's parsed YAML as it was last time, or None."""
        return self._restore(self.parsed, name, raw_digest, _plain)

    def put_data(self, name: str, raw_digest: bytes, data) -> None:
        self._keep(self.parsed, name, raw_digest, data)

    def model(self, name: str, raw_digest: bytes, cls: type):
        """The file's validated model as the schema made it last time, or None."""
        obj = self._restore(self.models, name, raw_digest, _plain_or_model)
        return obj if type(obj) is cls else None

    def put_model(self, name: str, raw_digest: bytes, obj) -> None:
        self._keep(self.models, name, raw_digest, obj)

    @staticmethod
    def _restore(table: dict, name: str, raw_digest: bytes, allowed):
        """What was kept for these bytes of the file, or None (none kept, or damaged: the
        loader parses or validates again)."""
        hit = table.get(name)
        if not hit or hit[0] != raw_digest:
            return None
        try:
            return cachedir.unpickle(hit[1], allowed)
        except Exception:
            return None

    def _keep(self, table: dict, name: str, raw_digest: bytes, obj) -> None:
        # Pickled now, not at save(): what the loader or a reader does to it later stays out.
        table[name] = (raw_digest, pickle.dumps(obj, protocol=5))
        self.dirty = True

    def problems(self, name: str, raw_digest: bytes) -> list | None:
        hit = self.truth.get(name)
        return hit[1] if hit and hit[0] == raw_digest else None

    def put_problems(self, name: str, raw_digest: bytes, problems: list) -> None:
        self.truth[name] = (raw_digest, problems)
        self.dirty = True

    def save(self, names: set[str]) -> None:
        """Write what this start learnt (only the files still there), atomically."""
        if self.path is None or not self.dirty:
            return
        parsed = {k: v for k, v in self.parsed.items() if k in names}
        truth = {k: v for k, v in self.truth.items() if k in names}
        models = {k: v for k, v in self.models.items() if k in names}
        saved = {"key": self.key, "parsed": parsed, "truth": truth, "models": models}
        cachedir.write(self.path, saved, keep=KEEP)  # tests make many KB copies


__all__ = ["KBCache", "cache_dir", "digest"]
