"""What a start can reuse from the last one: each file's parsed YAML and each project's truth check.

Parsing YAML (~1.5 ms a project file) and the truth checks (~1 ms a project, and a ~0.1 s
segmenter dictionary) grew a start with the size of the KB. Both are pure functions of the
file's bytes, the year's source.txt, vocab.yaml and the checking code, so their results are
kept, per KB folder and year, under those bytes' hashes; a file whose bytes changed is parsed
and checked again, and a change to source.txt, vocab.yaml or the checking code drops it all.
Every start still validates every file against the schema and across files (numbers,
categories, the list's count): only the pure per-file work is skipped.

Where: MINXIN_CACHE_DIR, else $XDG_CACHE_HOME/minxinbot, else ~/.cache/minxinbot (never the
data folder: reading commands create nothing there); MINXIN_CACHE_DIR="" turns it off. A cache that cannot be read or written is ignored (a start only gets slower).
Only plain data is unpickled (builtins and dates): a planted file cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from pathlib import Path

FORMAT = 1
KEEP = 8  # cache files kept (one per KB folder and year); the oldest go first
_CODE = ("kb/claims.py", "kb/loader.py", "kb/schema.py", "kb/truth.py", "kb/yamllines.py")
_CODE += ("kb/cache.py", "text.py", "segment.py")
_BOT = Path(__file__).resolve().parents[1]
_SAFE = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone")}
_SAFE |= {("datetime", "timedelta"), ("builtins", "set"), ("builtins", "frozenset")}


def cache_dir() -> Path | None:
    env = os.environ.get("MINXIN_CACHE_DIR")
    if env is not None:
        return Path(env).expanduser() if env else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "minxinbot"


def _code_fingerprint() -> bytes:
    """The checking code, the YAML parser and the segmenter's dictionary: a new version of
    any of them parses and checks anew."""
    import importlib.util

    from bot.segment import ORIGIN

    h = hashlib.sha1(f"{FORMAT}".encode())
    for name in _CODE:
        h.update((_BOT / name).read_bytes())
    spec = importlib.util.find_spec("yaml")  # located, not imported: a warm start needs no YAML
    for path in (ORIGIN, spec.origin if spec else None):
        if path:
            st = os.stat(path)
            h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.digest()


def digest(raw: bytes) -> bytes:
    return hashlib.sha1(raw).digest()


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _SAFE:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


class KBCache:
    """Parsed files and truth results of one KB year folder, valid for one context."""

    def __init__(self, ydir: Path, context: list[bytes]):
        self.path: Path | None = None
        self.parsed: dict[str, tuple[bytes, object]] = {}  # file name -> (digest, data)
        self.truth: dict[str, tuple[bytes, list]] = {}  # file name -> (digest, problems)
        self.dirty = False
        try:
            folder = cache_dir()
            if folder is None:
                return
            self.key = hashlib.sha1(_code_fingerprint() + b"".join(context)).digest()
            name = hashlib.sha1(str(ydir.resolve()).encode()).hexdigest()[:16]
            self.path = folder / f"kb-{name}.pickle"
            with open(self.path, "rb") as f:
                saved = _PlainUnpickler(io.BytesIO(f.read())).load()
        except Exception:  # missing, unreadable or damaged (unpickling can raise almost anything)
            return
        if isinstance(saved, dict) and saved.get("key") == self.key:
            self.parsed = saved.get("parsed", {})
            self.truth = saved.get("truth", {})

    def data(self, name: str, raw_digest: bytes):
        hit = self.parsed.get(name)
        return hit[1] if hit and hit[0] == raw_digest else None

    def put_data(self, name: str, raw_digest: bytes, data) -> None:
        self.parsed[name] = (raw_digest, data)
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
        blob = pickle.dumps({"key": self.key, "parsed": parsed, "truth": truth}, protocol=5)
        import tempfile  # only when something changed: ~6 ms to import

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".kb-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, self.path)
            _evict(self.path.parent)
        except OSError:
            return


def _evict(folder: Path) -> None:
    """Keep the KEEP most recently written cache files (tests make many KB copies)."""
    files = sorted(folder.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)


__all__ = ["KBCache", "cache_dir", "digest"]
