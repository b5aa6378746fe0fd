"""Answer benchmark: play the blind answer, fact and situation checks through the real Dialogue.

Run: .venv/bin/python benchmarks/bench_answers.py [-v] [FILE.jsonl ...]   (prints figures;
asserts nothing; without files, the three sets in benchmarks/data)

Each question is typed by a fresh console user (numbered options, as `python -m bot chat`).
A check passes when every `must` string is in what the resident reads (answer text and
quoted source, not the button labels) and no `must_not` string is. A situation passes when
every concerned project is named (第N项 or its title); one that concerns no project passes
when none is named. Lengths are of the text before buttons.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.dialogue import Dialogue  # noqa: E402
from bot.kbholder import KBHolder  # noqa: E402
from bot.models import Message  # noqa: E402
from bot.services import Services  # noqa: E402

DATA = ROOT / "benchmarks" / "data"


def load(name: str) -> list[dict]:
    path = Path(name) if "/" in name else DATA / name
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


async def ask(dialogue: Dialogue, user: str, text: str) -> str:
    reply = await dialogue.respond(Message("console", user, text))
    return reply.text + ("\n" + reply.quote if reply.quote else "")


def named(kb, n: int, text: str) -> bool:
    p = kb.project(n)
    return f"第{n}项" in text or (p is not None and p.title in text)


async def main(verbose: bool, names: list[str]) -> None:
    holder = KBHolder()
    dialogue = Dialogue(Services(holder))
    kb = holder.kb
    lengths: dict[str, list[int]] = {}
    for name in names or ("answers_blind.jsonl", "facts_blind.jsonl", "situations_blind.jsonl"):
        items = load(name)
        if not items:
            print(f"{name}: missing")
            continue
        passed, by_kind, kinds, misses = 0, Counter(), Counter(), []
        lens = lengths.setdefault(name, [])
        for i, item in enumerate(items):
            text = await ask(dialogue, f"bench:{name}:{i}", item["text"])
            lens.append(len(text))
            if "projects" in item and not item["projects"]:
                ok = not any(named(kb, n, text) for n in kb.projects)  # nothing applies: say so
            elif "projects" in item:
                ok = all(named(kb, n, text) for n in item["projects"])
            else:
                ok = all(m in text for m in item["must"]) and not any(
                    m in text for m in item.get("must_not", [])
                )
            kind = item.get("kind", "")
            kinds[kind] += 1
            by_kind[kind] += ok
            passed += ok
            if not ok:
                misses.append((item["text"], text))
        print(f"{name}: {passed}/{len(items)}  median answer {statistics.median(lens):.1f} chars")
        if len(kinds) > 1:
            print("  " + "  ".join(f"{k} {by_kind[k]}/{v}" for k, v in kinds.items()))
        if verbose:
            for q, a in misses:
                print(f"  MISS {q}\n    " + a.replace("\n", "\n    "))
    every = [x for v in lengths.values() for x in v]
    if every:
        print(f"all: median answer {statistics.median(every):.1f} chars before the buttons")


if __name__ == "__main__":
    asyncio.run(main("-v" in sys.argv, [a for a in sys.argv[1:] if a != "-v"]))
