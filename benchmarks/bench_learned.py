"""The learned layer measured: accepted phrasings from some sets, scored on sets never used.

Run: .venv/bin/python benchmarks/bench_learned.py
Staff accepting phrasings is simulated by loading labelled in-scope questions of the TRAIN sets
as `examples` ({text, intent}) into a copy of the KB; the TEST sets are never loaded. Prints joint
accuracy on the test sets without the layer and with it at several similarity cutoffs, and how
often the layer decided (so a cutoff that never fires is not mistaken for a safe one).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.router as router_mod  # noqa: E402
from bot.kb import load_kb  # noqa: E402
from bot.router import Router  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
TRAIN = [
    ROOT / "tests" / "data" / "router_holdout.jsonl",
    *(DATA / f"router_blind{n}.jsonl" for n in ("", 2, 3)),
]
TEST = [DATA / "router_blind4.jsonl", DATA / "router_blind5.jsonl"]


def load(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def with_examples(folder: Path, items: list[dict]) -> Path:
    kb = folder / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    by_project: dict[int, list[dict]] = {}
    for it in items:
        intent = it["intent"][0] if isinstance(it["intent"], list) else it["intent"]
        if it["project"] is not None:
            by_project.setdefault(it["project"], []).append({"text": it["text"], "intent": intent})
    for f in (kb / "2023").glob("[0-9]*-*.yaml"):
        n = int(f.name.split("-")[0])
        if n in by_project:
            lines = "".join(f"  - {json.dumps(e, ensure_ascii=False)}\n" for e in by_project[n])
            f.write_text(f.read_text(encoding="utf-8") + f"examples:\n{lines}", encoding="utf-8")
    return kb


def score(router: Router, items: list[dict]) -> tuple[float, int]:
    right = fired = 0
    for it in items:
        want = it["intent"] if isinstance(it["intent"], list) else [it["intent"]]
        a = router.analyse(it["text"])
        q = router.lex.fold(router.lex.rewrite(router_mod.normalise(it["text"])).replace(" ", ""))
        fired += router._example(q) is not None
        right += a.route.project == it["project"] and a.route.intent in want
    return right / len(items), fired


def main() -> None:
    train = [it for p in TRAIN if p.exists() for it in load(p)]
    test = [it for p in TEST for it in load(p)]
    base = Router(load_kb().kb)
    print(f"train {len(train)} accepted phrasings, test {len(test)} questions never loaded")
    print(f"  without the layer: joint {score(base, test)[0]:.3f}")
    kb_dir = with_examples(Path(tempfile.mkdtemp(prefix="bench_learned_")), train)
    result = load_kb(kb_dir)
    assert result.ok, result.errors[:3]
    for cutoff in (75, 80, 85, 90, 95):
        router_mod.EXAMPLE_CUTOFF = cutoff
        joint, fired = score(Router(result.kb), test)
        print(
            f"  nearest accepted phrasing, fuzz.ratio >= {cutoff}: joint {joint:.3f}  (decided {fired})"
        )


if __name__ == "__main__":
    main()
