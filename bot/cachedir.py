"""Where a start keeps what it can reuse next time (the KB cache, compiled regexes, the
lexicon), and how those files are read and written."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path

_BOT = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """MINXIN_CACHE_DIR, else $XDG_CACHE_HOME/minxinbot, else ~/.cache/minxinbot; None when
    MINXIN_CACHE_DIR is set empty (caching off). Never the data folder: reading commands
    create nothing there."""
    env = os.environ.get("MINXIN_CACHE_DIR")
    if env is not None:
        return Path(env).expanduser() if env else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "minxinbot"


def fingerprint(
    seed: bytes, code: Iterable[str], paths: Iterable[str | None] = (), modules: Iterable[str] = ()
) -> bytes:
    """What a kept result was made by: `seed`, the bytes of these files of the bot package
    (names relative to it), and the size and modification time of these files and of these
    installed modules' own files (located, not imported). A change to any: a new fingerprint."""
    import importlib.util

    h = hashlib.sha1(seed)
    for name in code:
        h.update((_BOT / name).read_bytes())
    specs = [importlib.util.find_spec(name) for name in modules]
    for path in (*paths, *(spec.origin if spec else None for spec in specs)):
        if path:
            st = os.stat(path)
            h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.digest()


_BUILTINS = {("builtins", "set"), ("builtins", "frozenset")}
# (allow-list, module, name) -> the class it allowed: a 400-project KB's models name the same
# ~10 classes ~2,000 times, each asked of its allow-list (an import and a subclass test).
_FOUND: dict[tuple, type] = {}


class _Allowed(pickle.Unpickler):
    def __init__(self, data: bytes, allowed: Callable[[str, str], bool]):
        super().__init__(io.BytesIO(data))
        self._allowed = allowed

    def find_class(self, module: str, name: str):
        key = (self._allowed, module, name)
        found = _FOUND.get(key)
        if found is None:
            if not ((module, name) in _BUILTINS or self._allowed(module, name)):
                raise pickle.UnpicklingError(f"{module}.{name} is not kept in the cache")
            found = _FOUND[key] = super().find_class(module, name)
        return found


def nothing_else(_module: str, _name: str) -> bool:
    return False


def unpickle(data: bytes, allowed: Callable[[str, str], bool] = nothing_else):
    """Plain data (and sets), plus the classes `allowed` names: a planted file cannot run
    code. Raises on anything damaged or refused. `allowed` is a module-level function: its
    answers are remembered for the life of the process."""
    return _Allowed(data, allowed).load()


def read(path: Path, allowed: Callable[[str, str], bool] = nothing_else):
    with open(path, "rb") as f:
        return unpickle(f.read(), allowed)


def write(path: Path, obj, keep: int | None = None) -> None:
    """Write atomically, readable by this user only; with `keep`, only the `keep` newest files
    of the same kind (the name up to its first '-') stay. A cache that cannot be written is
    not an error: the next start only does the work again."""
    blob = pickle.dumps(obj, protocol=5)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
        if keep is not None:
            kind = path.name.split("-", 1)[0]
            files = sorted(path.parent.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime)
            for old in files[:-keep]:
                old.unlink(missing_ok=True)
    except OSError:
        return
