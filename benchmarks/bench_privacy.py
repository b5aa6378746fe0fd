"""Redaction cost per message: the router's question sets as they are, and with PII pasted in.

.venv/bin/python benchmarks/bench_privacy.py
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from bot.privacy import scan

DATA = Path(__file__).resolve().parent / "data"
PII = "，我电话13812345678，身份证120102198506123019，住5号楼3单元502室"


def questions() -> list[str]:
    out = []
    for f in sorted(DATA.glob("router_*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["text"])
    return out


def per_call_us(texts: list[str], rounds: int = 5) -> list[float]:
    times = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter()
            scan(t)
            times.append((time.perf_counter() - start) * 1e6)
    return sorted(times)


def main() -> None:
    plain = questions()
    for label, texts in (("as asked", plain), ("with PII appended", [t + PII for t in plain])):
        times = per_call_us(texts)
        p99 = times[int(len(times) * 0.99)]
        print(
            f"{label:>18}: {len(texts)} questions, median {statistics.median(times):.1f} µs, "
            f"p99 {p99:.1f} µs"
        )


if __name__ == "__main__":
    main()
