"""Router benchmark: warm per-question latency, cold start of `python -m bot ask`, memory.

Run: .venv/bin/python benchmarks/bench_router.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.kbholder import KBHolder  # noqa: E402
from bot.text import normalise  # noqa: E402

SOURCES = [
    ROOT.parent / "shared" / "eval" / "router_dev.jsonl",
    ROOT / "tests" / "data" / "router_holdout.jsonl",
    *sorted((ROOT / "benchmarks" / "data").glob("router_*.jsonl")),
]


def questions() -> list[str]:
    base = []
    for path in SOURCES:
        if path.exists():
            base += [json.loads(x)["text"] for x in path.read_text("utf-8").splitlines() if x]
    # Distinct strings, so the normalisation cache cannot flatter the figures.
    out = base + [f"请问{q}" for q in base] + [f"{q}？谢谢" for q in base]
    return list(dict.fromkeys(out))


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def warm_latency(router, qs: list[str]) -> list[float]:
    for q in qs[:200]:  # warm-up: caches, first-call costs
        router.route(q)
    normalise.cache_clear()
    times = []
    for q in qs:
        t = time.perf_counter()
        router.route(q)
        times.append((time.perf_counter() - t) * 1000)
    return times


def cold_start(runs: int = 7) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "医保住院最高报多少"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    t = time.perf_counter()
    holder = KBHolder()
    build = time.perf_counter() - t
    qs = questions()
    times = warm_latency(holder.router, qs)
    long_text = "医保" * 150  # the longest text that is still routed (300 chars)
    long_times = []
    for _ in range(50):
        normalise.cache_clear()
        t = time.perf_counter()
        holder.router.route(long_text)
        long_times.append((time.perf_counter() - t) * 1000)
    cold = cold_start()
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"questions routed warm: {len(qs)}")
    print(
        f"routing latency ms: median {statistics.median(times):.3f}  "
        f"p99 {percentile(times, 99):.3f}  max {max(times):.3f}"
    )
    print(f"300-char message ms: median {statistics.median(long_times):.3f}")
    print(f"KB load + router build in process: {build * 1000:.0f} ms")
    print(
        f"`python -m bot ask` whole process s: median {statistics.median(cold):.2f}  "
        f"min {min(cold):.2f}  max {max(cold):.2f}  ({len(cold)} runs)"
    )
    print(f"peak RSS MB: ask process {child_rss:.0f}, this benchmark process {own_rss:.0f}")


if __name__ == "__main__":
    main()
