"""How far the router's confidence can be trusted: precision per confidence band and threshold.

Run: .venv/bin/python benchmarks/calibration.py [files…]   (default: every labelled router set)
Prints, per band, how many questions fell in it, how many were routed right (project and
intent), and how many had the right project among the route and its alternatives (what a
"did you mean" choice would offer); then, per threshold, the share answered at or above it and
the precision there. Out-of-scope answers count as right when the label is out_of_scope.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.kbholder import KBHolder  # noqa: E402

DEFAULT = [
    ROOT.parent / "shared" / "eval" / "router_dev.jsonl",
    ROOT / "tests" / "data" / "router_holdout.jsonl",
    *sorted((ROOT / "benchmarks" / "data").glob("router_*.jsonl")),
]
BANDS = [(0.0, 0.3), (0.3, 0.5), (0.5, 0.8), (0.8, 1.01)]
THRESHOLDS = [0.0, 0.3, 0.5, 0.8]


def rows(files: list[Path]):
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                want = item["intent"] if isinstance(item["intent"], list) else [item["intent"]]
                yield item["text"], item["project"], want


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or [p for p in DEFAULT if p.exists()]
    router = KBHolder().router
    seen = []
    for text, project, want in rows(files):
        r = router.route(text)
        right = r.project == project and r.intent in want
        offered = project in {r.project, *(a.project for a in r.alternatives)}
        seen.append((r.confidence, right, offered and (r.intent in want or project is not None)))
    print(f"{len(seen)} questions from {len(files)} files")
    print("confidence band   n     right (joint)   right project offered")
    for lo, hi in BANDS:
        band = [s for s in seen if lo <= s[0] < hi]
        if band:
            right = sum(s[1] for s in band)
            offered = sum(s[2] for s in band)
            print(
                f"  [{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}  {len(band):4d}"
                f"   {right / len(band):6.3f}          {offered / len(band):6.3f}"
            )
    print("threshold   answered   precision   abstain")
    for t in THRESHOLDS:
        kept = [s for s in seen if s[0] >= t]
        if kept:
            prec = sum(s[1] for s in kept) / len(kept)
            print(
                f"  >= {t:.1f}     {len(kept) / len(seen):6.3f}     {prec:6.3f}"
                f"    {1 - len(kept) / len(seen):6.3f}"
            )


if __name__ == "__main__":
    main()
