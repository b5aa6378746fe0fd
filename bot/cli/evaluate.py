"""`eval`: score labelled questions (and dialogues) and print accuracy and the misses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.cli.common import holder_of
from bot.dialogue import Dialogue
from bot.services import Services


@dataclass
class Score:
    total: int = 0
    project: int = 0
    intent: int = 0
    joint: int = 0
    oos: int = 0  # labelled out of scope
    oos_caught: int = 0  # ... and routed out of scope
    in_scope: int = 0
    rejected: int = 0  # in scope, but routed out of scope (a false rejection)
    misses: list[str] = field(default_factory=list)


def register(sub) -> None:
    p = sub.add_parser("eval", help="score router_dev.jsonl / dialog_dev.jsonl style files")
    p.add_argument("files", nargs="+")
    p.add_argument("--quiet", action="store_true", help="do not list the misses")
    p.set_defaults(func=run)


class NotARouterSet(ValueError):
    """A file whose lines are not labelled router questions (an answer-check file, say)."""


def score_file(dialogue: Dialogue, path: Path) -> Score:
    s = Score()
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        item = json.loads(line)
        if (
            "intent" not in item
            or "project" not in item
            or not (item.get("turns") or "text" in item)
        ):
            raise NotARouterSet(f"{path}:{i + 1}: needs text (or turns), project and intent")
        turns = item.get("turns") or [item["text"]]
        user = f"eval:{path.name}:{i}"
        for turn in turns:
            route = dialogue.understand(user, turn)
        dialogue.services.contexts.forget(user)
        want = item["intent"] if isinstance(item["intent"], list) else [item["intent"]]
        p_ok, i_ok = route.project == item["project"], route.intent in want
        s.total += 1
        s.project += p_ok
        s.intent += i_ok
        s.joint += p_ok and i_ok
        if "out_of_scope" in want:
            s.oos += 1
            s.oos_caught += route.intent == "out_of_scope"
        else:
            s.in_scope += 1
            s.rejected += route.intent == "out_of_scope"
        if not (p_ok and i_ok):
            s.misses.append(
                f"  {' / '.join(turns)}  want {item['project']} {'|'.join(want)}"
                f"  got {route.project} {route.intent} ({route.confidence:.2f})"
            )
    return s


def run(args) -> int:
    dialogue = Dialogue(Services(holder_of(args)))
    for name in args.files:
        try:
            s = score_file(dialogue, Path(name))
        except (NotARouterSet, json.JSONDecodeError) as e:
            print(f"{name}: not scored ({e})")
            continue
        if not s.total:
            print(f"{name}: empty")
            continue
        print(
            f"{name}: n={s.total}  project {s.project / s.total:.3f}  "
            f"intent {s.intent / s.total:.3f}  joint {s.joint / s.total:.3f}"
            f"  ({s.joint}/{s.total})"
            + (f"  oos-recall {s.oos_caught}/{s.oos}" if s.oos else "")
            + f"  false-rejection {s.rejected}/{s.in_scope}"
        )
        if not args.quiet:
            print("\n".join(s.misses))
    return 0
