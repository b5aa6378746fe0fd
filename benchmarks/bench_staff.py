"""Staff tools benchmark: question-log write latency, inbox clustering, lint, import, HTML report.

Run: .venv/bin/python benchmarks/bench_staff.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.kbholder import KBHolder  # noqa: E402
from bot.models import Message, Route  # noqa: E402
from bot.staff.cluster import build_clusters  # noqa: E402
from bot.staff.importer import import_announcement  # noqa: E402
from bot.staff.lint import lint  # noqa: E402
from bot.staff.report import html_report  # noqa: E402
from bot.staff.stats import compute  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage.qlog import LoggedQuestion, QuestionLogRepo  # noqa: E402

TOPICS = ["护照", "驾照", "公交线路", "物业费", "加装电梯", "楼道灯", "疫苗", "医保卡", "社保卡", "垃圾分类",
          "暖气费", "停水", "宽带", "户口", "居住证", "结婚登记", "养犬登记", "违章停车", "噪音扰民", "房产证"]  # fmt: skip
FORMS = [
    "{}怎么办",
    "{}在哪办理",
    "办{}去哪里",
    "{}要多久",
    "{}找谁",
    "{}多少钱",
    "请问{}的事",
    "{}怎么弄",
]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms"


def timed(fn, repeat: int = 5) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


async def bench_record(tmp: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp / 'bench.db'}")
    await db.start()
    repo = QuestionLogRepo(db, "bench-secret")
    await repo.start()
    route = Route(None, "out_of_scope", 0.9)
    times = []
    for i in range(500):
        t = time.perf_counter()
        await repo.record(Message("telegram", f"tg:{i % 50}", f"问题{i}"), route)
        times.append(time.perf_counter() - t)
    print(f"question log record (SQLite file, 500 writes): {ms(times)}")
    await db.close()


def main() -> None:
    holder = KBHolder()
    now = dt.datetime.now(dt.timezone.utc)
    texts = [f.format(t) + suffix for t in TOPICS for f in FORMS for suffix in ("", "？", "啊")]
    texts = (texts * 5)[:2000]
    qs = [
        LoggedQuestion(now, f"u{i % 300}", "telegram", x, None, "out_of_scope", 0.9)
        for i, x in enumerate(texts)
    ]
    result = []
    print(
        f"inbox clustering, 2,000 questions ({len(set(texts))} distinct): {ms(timed(lambda: result.append(build_clusters(qs, holder.router)), 3))}, {len(result[-1])} clusters"
    )
    random.seed(1)
    cjk = [chr(c) for c in range(0x4E00, 0x9FA5)]
    odd = [
        LoggedQuestion(
            now,
            "u",
            "telegram",
            "".join(random.choices(cjk, k=4)) + "怎么办",
            None,
            "out_of_scope",
            0.9,
        )
        for _ in range(2000)
    ]
    worst = ms(timed(lambda: build_clusters(odd, holder.router), 3))
    print(f"inbox clustering, worst case of 2,000 unrelated questions: {worst}")
    print(
        f"kb lint (20 projects, rules only): {ms(timed(lambda: lint(holder.kb, dt.date.today())))}"
    )
    s = compute(qs, holder.kb, holder.router, now.date() - dt.timedelta(days=29), now.date())
    print(f"HTML report (30 days): {ms(timed(lambda: html_report(s, 'bench')))}")
    with tempfile.TemporaryDirectory() as tmp:
        src = ROOT / "knowledge" / "2023" / "source.txt"
        times = timed(
            lambda: import_announcement(src, 2023, Path(tmp) / "k" / "2023", force=True), 3
        )
        print(f"kb import of the 2023 announcement (20 drafts + kb check): {ms(times)}")
        asyncio.run(bench_record(Path(tmp)))


if __name__ == "__main__":
    main()
