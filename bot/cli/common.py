"""Shared CLI plumbing: load config and KB, print KB errors the staff way."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING

from bot.kbholder import KBHolder, KBLoadFailed

if TYPE_CHECKING:
    from bot.config import Config


def config_of(args) -> Config:
    from bot.config import ConfigError, load_config

    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as e:
        print(f"配置错误 config error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def holder_of(args, config: Config | None = None) -> KBHolder:
    if config is None and getattr(args, "config", None) is None:
        # No config file: the defaults name no folder or year, and `ask` skips importing
        # every channel's settings models just to learn that.
        directory, year = getattr(args, "knowledge", None), getattr(args, "year", None)
    else:
        config = config or config_of(args)
        directory = getattr(args, "knowledge", None) or config.knowledge.dir
        year = getattr(args, "year", None) or config.knowledge.year
    try:
        return KBHolder(directory, year)
    except KBLoadFailed as e:
        for err in e.errors:
            print(err, file=sys.stderr)
        print(f"知识库有 {len(e.errors)} 处错误，无法启动。", file=sys.stderr)
        raise SystemExit(1) from None


def author_of(args) -> str:
    """Who an operator's command is recorded as: --by, else the login name."""
    if args.by:
        return args.by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "admin"
