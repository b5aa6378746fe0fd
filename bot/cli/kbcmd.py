"""`kb check`: validate the knowledge base; errors as file:line: field: message."""

from __future__ import annotations

import sys

from bot.kb import load_kb


def register(sub) -> None:
    p = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = p.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    c = kb_sub.add_parser("check", help="validate every file; list facts still marked todo")
    c.add_argument("dir", nargs="?", help="knowledge folder (default: bundled)")
    c.add_argument("--year", type=int, dest="kb_year")
    c.set_defaults(func=run_check)
    p.set_defaults(kb_sub=kb_sub)


def run_check(args) -> int:
    result = load_kb(args.dir or getattr(args, "knowledge", None), args.kb_year or args.year)
    for err in result.errors:
        print(err)
    if not result.ok:
        print(f"{len(result.errors)} error(s)", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(f"warning: {w}")
    kb = result.kb
    print(
        f"OK: {kb.year.title}: {len(kb.projects)} projects, "
        f"{sum(len(p.todo) for p in kb.projects.values())} todo notes"
    )
    return 0
