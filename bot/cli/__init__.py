"""Command-line entry: every subcommand is registered here, in one visible place."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.cli import chat, evaluate, kbcmd, routecmd, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="民心通 MinxinBot")
    parser.add_argument("--config", help="config YAML (default: embedded defaults)")
    parser.add_argument("--knowledge", help="knowledge folder (default: bundled knowledge/)")
    parser.add_argument("--year", type=int, help="which year's list to serve (default: newest)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (chat, routecmd, evaluate, kbcmd, run):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        args = parser.parse_args(["chat", *(argv or sys.argv[1:])])
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
