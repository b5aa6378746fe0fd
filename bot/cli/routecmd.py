"""`route`: the evaluation contract — JSON lines in, one JSON route per line out, nothing else."""

from __future__ import annotations

import json
import sys

from bot.cli.common import holder_of
from bot.dialogue import Dialogue
from bot.services import Services

ANONYMOUS = "route:anonymous"


def register(sub) -> None:
    p = sub.add_parser("route", help="route stdin lines (text or {text,user} JSON) to JSON lines")
    p.set_defaults(func=run)


def parse_line(line: str) -> tuple[str, str | None]:
    """A line is plain text, or a JSON object with `text` and optional `user`."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError:
            return line.rstrip("\r\n"), None
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            user = obj.get("user")
            return obj["text"], None if user is None else str(user)
    return line.rstrip("\r\n"), None


def run(args) -> int:
    dialogue = Dialogue(Services(holder_of(args)))
    with open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False) as stdin:
        _route_lines(dialogue, stdin)
    return 0


def _route_lines(dialogue: Dialogue, stdin) -> None:
    for n, line in enumerate(stdin):
        text, user = parse_line(line)
        # Lines without a user are independent: each gets a fresh context.
        key = f"user:{user}" if user is not None else f"{ANONYMOUS}:{n}"
        route = dialogue.understand(key, text)
        if user is None:
            dialogue.services.contexts.forget(key)
        out = {
            "text": text,
            "project": route.project,
            "intent": route.intent,
            "confidence": round(float(route.confidence), 4),
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
