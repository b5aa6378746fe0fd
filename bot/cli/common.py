"""Shared CLI plumbing: load config and KB, print KB errors the staff way."""

from __future__ import annotations

import getpass
import sys

from bot.config import Config, ConfigError, load_config
from bot.kbholder import KBHolder, KBLoadFailed


def config_of(args) -> Config:
    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as e:
        print(f"配置错误 config error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def holder_of(args, config: Config | None = None) -> KBHolder:
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
