"""Command-line entry: every subcommand is registered here, in one visible place.

Each command's module is imported only when that command runs, so `ask` does not pay for
loading Telegram, WeChat or the database drivers.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# command name -> module whose register(sub) adds it
COMMANDS = {
    "chat": "bot.cli.chat",
    "ask": "bot.cli.chat",
    "route": "bot.cli.routecmd",
    "eval": "bot.cli.evaluate",
    "kb": "bot.cli.kbcmd",
    "run": "bot.cli.run",
    "wechat": "bot.cli.wechat",
    "web": "bot.cli.webcmd",
    "progress": "bot.cli.admin",
    "audit": "bot.cli.admin",
    "broadcast": "bot.cli.broadcast",
    "inbox": "bot.cli.staff",
    "stats": "bot.cli.staff",
    "suggestions": "bot.cli.staff",
}
_VALUE_OPTIONS = {"--config", "--knowledge", "--year"}
# Commands that compute and print, holding no connection, file or thread when they return.
ONE_SHOT = frozenset({"ask", "route", "eval"})


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser for one command (fast), or for all of them (help)."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="民心通 MinxinBot")
    parser.add_argument("--config", help="config YAML (default: embedded defaults)")
    parser.add_argument("--knowledge", help="knowledge folder (default: bundled knowledge/)")
    parser.add_argument("--year", type=int, help="which year's list to serve (default: newest)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = [COMMANDS[only]] if only in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in dict.fromkeys(names):
        importlib.import_module(name).register(sub)
    return parser


def _command_of(argv: list[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def main(argv: list[str] | None = None, *, process: bool = False) -> int:
    """Run one command; `process` (only `python -m bot`) lets a one-shot command end the
    process itself."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(argv)
    if process and command == "ask":
        # One question, then the process ends: the ~90 collections while the KB and lexicon
        # are built take ~10 ms and free a few hundred objects.
        import gc

        gc.disable()
    if command is None and not {"-h", "--help"} & set(argv):
        argv, command = [*argv, "chat"], "chat"  # no command: the console chat
    args = build_parser(command).parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from bot.privacy import install_log_redaction

    install_log_redaction()  # no phone number or raw user id reaches a log line
    try:
        code = int(args.func(args) or 0)
        if process and command in ONE_SHOT:
            _exit_now(code)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `python -m bot route | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown: freeing the segmenter's dictionary
    and every module's objects is ~10 % of `ask`, and a one-shot command has nothing to close."""
    import os

    logging.shutdown()
    sys.stdout.flush()  # a reader that left raises BrokenPipeError here, handled by main
    sys.stderr.flush()
    os._exit(code)
