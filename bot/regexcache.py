"""Regular expressions compiled once per machine, not once per start.

Python's `re` parses and compiles every pattern in pure Python: the ~450 patterns a start
needs (vocab.yaml's dialect, intent and out-of-scope rules, the modules' own) cost ~0.1 s, a
fifth of `python -m bot ask`. What `re` hands the C engine at the end (`_sre.compile`: the
flags, the program as a list of ints, the group names) is plain data, so it is kept on disk
per Python build and the next start skips straight to the engine.

Safe by construction: the file holds only builtins (unpickled with every class refused); it is
keyed by the Python build and the engine's version, and the engine validates each program it is
given (a damaged one raises and is compiled afresh). `MINXIN_CACHE_DIR=""` turns it off, like the
KB cache. The result is the same Pattern `re.compile` returns (tests/test_regexcache.py).
"""

from __future__ import annotations

import _sre
import hashlib
import re
import sys
import threading

from bot import cachedir

try:  # Python 3.11+
    from re import _compiler, _parser
except ImportError:  # pragma: no cover - Python 3.10
    import sre_compile as _compiler  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

FORMAT = 1
KEEP = 5000  # programs kept; past it, only the ones the saving process used
# What makes a program valid: the interpreter build and the engine's own version numbers.
_BUILD = f"{FORMAT}|{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}|{sys.maxunicode}"

_lock = threading.Lock()  # a reload builds its lexicon in a worker thread
_programs: dict[tuple[str, int], tuple] = {}  # (pattern, flags) -> _sre.compile's arguments
_compiled: dict[tuple[str, int], re.Pattern] = {}
_required: dict[str, str | None] = {}  # pattern -> bot.regexkeys' characters, joined
_required_used: set[str] = set()
_dirty = False
_loaded = False


def _path():
    folder = cachedir.cache_dir()
    if folder is None:
        return None
    name = hashlib.sha1(_BUILD.encode()).hexdigest()[:16]
    return folder / f"regex-{name}.pickle"


def _load() -> None:
    global _loaded
    _loaded = True
    try:
        path = _path()
        if path is None:
            return
        saved = cachedir.read(path)
    except Exception:  # missing, unreadable or damaged: every pattern is compiled afresh
        return
    if isinstance(saved, dict) and saved.get("build") == _BUILD:
        programs, required = saved.get("programs"), saved.get("required")
        if isinstance(programs, dict):
            _programs.update(programs)
        if isinstance(required, dict):
            _required.update(required)


def _program(pattern: str, flags: int) -> tuple:
    """What `re`'s own compile passes to the engine (re._compiler.compile, 3.10–3.13)."""
    parsed = _parser.parse(pattern, flags)
    code = [int(op) for op in _compiler._code(parsed, flags)]  # opcodes are int subclasses
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for k, i in groupindex.items():
        indexgroup[i] = k
    return (
        flags | parsed.state.flags,
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def compile(pattern: str, flags: int = 0) -> re.Pattern:  # noqa: A001 - the name re uses
    """`re.compile(pattern, flags)`, from the kept program when this machine has one."""
    global _dirty
    key = (pattern, int(flags))
    hit = _compiled.get(key)
    if hit is not None:
        return hit
    with _lock:
        if not _loaded:
            _load()
        prog = _programs.get(key)
    compiled = None
    if prog is not None:
        try:
            compiled = _sre.compile(pattern, *prog)
        except Exception:  # noqa: BLE001 - not a program this engine accepts: compile afresh
            compiled = None
    if compiled is None:
        try:
            prog = _program(pattern, key[1])
            compiled = _sre.compile(pattern, *prog)
        except re.error:
            raise
        except Exception:  # noqa: BLE001 - an interpreter whose internals differ: plain re
            return re.compile(pattern, flags)
        with _lock:
            _programs[key] = prog
            _dirty = True
    _compiled[key] = compiled
    return compiled


def required_chars(pattern: str) -> frozenset[str] | None:
    """bot.regexkeys.required_chars(pattern), kept like the programs (reading a pattern's
    parse costs about what compiling it does)."""
    global _dirty
    with _lock:
        if not _loaded:
            _load()
        _required_used.add(pattern)
        if pattern in _required:
            kept = _required[pattern]
            return frozenset(kept) if isinstance(kept, str) and kept else None
    from bot.regexkeys import required_chars as read

    keys = read(pattern)
    with _lock:
        _required[pattern] = "".join(sorted(keys)) if keys else None
        _dirty = True
    return keys


def save() -> None:
    """Keep the programs compiled since the last save (a start calls this once it serves)."""
    global _dirty
    with _lock:
        if not _dirty:
            return
        path = _path()
        if path is None:
            _dirty = False
            return
        if len(_programs) + len(_required) > KEEP:  # old vocab edits: keep what this process used
            for key in [k for k in _programs if k not in _compiled]:
                del _programs[key]
            for pattern in [k for k in _required if k not in _required_used]:
                del _required[pattern]
        saved = {"build": _BUILD, "programs": dict(_programs), "required": dict(_required)}
        _dirty = False
    cachedir.write(path, saved)  # a read-only home: the next start compiles again


__all__ = ["compile", "required_chars", "save"]
