"""Where a start keeps what it can reuse next time (the KB cache, compiled regexes)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path | None:
    """MINXIN_CACHE_DIR, else $XDG_CACHE_HOME/minxinbot, else ~/.cache/minxinbot; None when
    MINXIN_CACHE_DIR is set empty (caching off). Never the data folder: reading commands
    create nothing there."""
    env = os.environ.get("MINXIN_CACHE_DIR")
    if env is not None:
        return Path(env).expanduser() if env else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "minxinbot"
