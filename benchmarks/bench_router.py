"""Router benchmark, side by side with an earlier router in one run (A B A B …).

Warm per-question latency on every labelled set, long messages (200/300/600 characters),
cold start and peak RSS of `python -m bot ask` for both revisions and the bare import floor.

Run: .venv/bin/python benchmarks/bench_router.py [--base f1ab832] [--reps 5] [--startup-only]
     .venv/bin/python benchmarks/bench_router.py --callgrind [--questions 2000] [--base REV]
(prints figures; asserts nothing). The earlier revision's router, lexicon and text modules are
taken from git into a temporary package and run against today's knowledge base (the modules
they import, bot.hits and the rest, are today's). --callgrind instead counts instructions per
question (valgrind; independent of the machine's load), each revision whole from its own git
worktree with its own knowledge base, A B (benchmarks/instructions.py).

Child processes run as a deployment does: bytecode cached (PYTHONDONTWRITEBYTECODE is dropped
from their environment) and, after one unmeasured run, the KB start-up cache (bot/kb/cache.py)
warm; "cold" rows give every run an empty cache folder.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import instructions  # noqa: E402
from bigkb import big_kb  # noqa: E402

from bot.kbholder import KBHolder  # noqa: E402
from bot.text import normalise  # noqa: E402

SOURCES = [
    ROOT.parent / "shared" / "eval" / "router_dev.jsonl",
    ROOT / "tests" / "data" / "router_holdout.jsonl",
    *sorted((ROOT / "benchmarks" / "data").glob("router_*.jsonl")),
]
OLD_MODULES = ("router", "lexicon", "text")
STORY = "我家住在老小区，楼很旧了，冬天暖气也不太热，老伴腿脚不好上下楼很难，"


def questions() -> list[str]:
    base = []
    for path in SOURCES:
        if path.exists():
            base += [json.loads(x)["text"] for x in path.read_text("utf-8").splitlines() if x]
    # Distinct strings, so the normalisation cache cannot flatter the figures.
    out = base + [f"请问{q}" for q in base] + [f"{q}？谢谢" for q in base]
    return list(dict.fromkeys(out))


def old_router_class(rev: str, folder: Path):
    """The Router class of an earlier revision, importable beside today's (own package name)."""
    pkg = folder / "oldbot"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    for name in OLD_MODULES:
        src = subprocess.run(
            ["git", "show", f"{rev}:bot/{name}.py"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
        for other in OLD_MODULES:
            src = src.replace(f"from bot.{other} import", f"from oldbot.{other} import")
        (pkg / f"{name}.py").write_text(src, encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module("oldbot.router")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(route, texts: list[str], clear) -> list[float]:
    out = []
    for q in texts:
        clear()
        t = time.perf_counter()
        route(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def child(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process, measured by GNU time: a child forked
    from this large process would report the parent's pages as its own peak."""
    t = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env=env or CHILD_ENV,
    )
    wall = time.perf_counter() - t
    return wall, int(out.stderr.strip().splitlines()[-1]) / 1024


def in_process_start(folder: Path, cache: Path | None) -> float:
    """KBHolder(folder) in this process: KB load + router build, dictionary included."""
    saved = os.environ.get("MINXIN_CACHE_DIR")
    os.environ["MINXIN_CACHE_DIR"] = str(cache) if cache else ""
    try:
        t = time.perf_counter()
        KBHolder(folder)
        return time.perf_counter() - t
    finally:
        if saved is None:
            del os.environ["MINXIN_CACHE_DIR"]
        else:
            os.environ["MINXIN_CACHE_DIR"] = saved


def startup(tmp: Path, reps: int) -> None:
    """20 vs 400 projects, A B A B: in process (cold and warm cache) and as `ask` processes."""
    sizes = {
        20: ROOT / "knowledge",
        400: big_kb(tmp, 400),
    }  # 380 distinct projects added (bigkb.py)
    warm = {n: tmp / f"cache{n}" for n in sizes}
    inproc = {(n, k): [] for n in sizes for k in ("cold", "warm")}
    procs = {n: [] for n in sizes}
    question = "医保住院最高报多少"
    for n, folder in sizes.items():  # one unmeasured run each: bytecode, warm caches
        in_process_start(folder, warm[n])
        env = {**CHILD_ENV, "MINXIN_CACHE_DIR": str(warm[n])}
        child([sys.executable, "-m", "bot", "--knowledge", str(folder), "ask", question], ROOT, env)
    for r in range(reps + 2):
        for n, folder in sizes.items():
            inproc[n, "cold"].append(in_process_start(folder, tmp / f"cold{n}-{r}"))
            inproc[n, "warm"].append(in_process_start(folder, warm[n]))
            env = {**CHILD_ENV, "MINXIN_CACHE_DIR": str(warm[n])}
            cmd = [sys.executable, "-m", "bot", "--knowledge", str(folder), "ask", question]
            procs[n].append(child(cmd, ROOT, env))
    med = statistics.median
    for kind in ("cold", "warm"):
        a, b = (med(inproc[n, kind]) for n in sizes)
        print(
            f"  KB load + router build in process, {kind} cache: 20 projects {a:.3f} s,"
            f" 400 projects {b:.3f} s ({b / a:.2f}x)"
        )
    (a, ra), (b, rb) = ((med(w for w, _ in procs[n]), med(m for _, m in procs[n])) for n in sizes)
    # Each rep ran 20 then 400 back to back: their ratio pair by pair shrugs off the machine's
    # slower and faster moments better than a ratio of the two medians does.
    pairs = med(w400 / w20 for (w20, _), (w400, _) in zip(procs[20], procs[400], strict=True))
    print(
        f"  `ask` process, warm cache: 20 projects {a:.3f} s {ra:.0f} MiB,"
        f" 400 projects {b:.3f} s {rb:.0f} MiB ({b / a:.2f}x; pair by pair {pairs:.2f}x)"
    )


def ask_runs(tmp: Path, base: str, reps: int) -> None:
    """`ask` of this worktree and of the base revision, and the import floor, A B C A B C."""
    base_dir = tmp / "base"
    base_dir.mkdir()
    archive = subprocess.run(["git", "archive", base], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(base_dir)], input=archive.stdout, check=True)
    ask = [sys.executable, "-m", "bot", "ask", "医保住院最高报多少"]
    floor = [sys.executable, "-c", "import bot.cli.common"]  # the bot's imports, no KB or router
    env = {**CHILD_ENV, "MINXIN_CACHE_DIR": str(tmp / "askcache")}
    cmds = {"floor": (floor, ROOT), f"base ask ({base})": (ask, base_dir), "ask": (ask, ROOT)}
    for cmd, cwd in cmds.values():  # unmeasured: writes bytecode and the warm cache
        child(cmd, cwd, env)
    runs = {name: [] for name in cmds}
    for _ in range(reps + 2):
        for name, (cmd, cwd) in cmds.items():
            runs[name].append(child(cmd, cwd, env))
    med = statistics.median
    for name, rs in runs.items():
        walls, rss = [w for w, _ in rs], [m for _, m in rs]
        print(
            f"  {name}: wall median {med(walls):.3f} s (min {min(walls):.3f})"
            f"  peak RSS median {med(rss):.1f} MiB"
        )
    ratios = [a[0] / f[0] for a, f in zip(runs["ask"], runs["floor"], strict=True)]
    print(f"  ask / floor wall, pair by pair: median {med(ratios):.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="f1ab832", help="the earlier revision to compare with")
    ap.add_argument("--reps", type=int, help="default 5; with --callgrind 1 (counts repeat)")
    ap.add_argument("--startup-only", action="store_true", help="skip the warm routing runs")
    ap.add_argument("--callgrind", action="store_true", help="instructions per question")
    ap.add_argument("--questions", type=int, default=2000, help="with --callgrind")
    args = ap.parse_args()
    args.reps = args.reps or (1 if args.callgrind else 5)
    if args.callgrind:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "questions.json"
            qs = questions()
            random.Random(7).shuffle(qs)  # every set represented in both parts
            sets = [qs[:WARM_UP], qs[WARM_UP : WARM_UP + args.questions]]
            path.write_text(json.dumps(sets, ensure_ascii=False), "utf-8")
            instructions.per_item(lambda n: ["-c", COUNTED, str(path), str(n)],
                                  args.questions, args.base, args.reps, "question")  # fmt: skip
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_router_"))
    if not args.startup_only:
        routing(tmp, args.base, args.reps)
    print(f"start-up, {args.reps + 2} runs each, interleaved (uptime: {os.getloadavg()[0]:.1f})")
    ask_runs(tmp, args.base, args.reps)
    startup(tmp, args.reps)
    shutil.rmtree(tmp, ignore_errors=True)


# One callgrind child, in the tree it runs in (its cwd): start-up and a warm-up set (what is
# built at a first use: the pinyin index, compiled patterns), which n = 0 also pays, then the
# first n questions of the measured set, each analysed once.
COUNTED = """
import json, os, sys
sys.path.insert(0, os.getcwd())
from bot.kbholder import KBHolder
router = KBHolder().router
path, n = sys.argv[1], int(sys.argv[2])
warm, measured = json.load(open(path, encoding="utf-8"))
for q in warm + measured[:n]:
    router.analyse(q)
"""
WARM_UP = 500


def routing(tmp: Path, base: str, reps: int) -> None:
    """Warm per-question and long-message latency, old router and new, A B A B per rep."""
    old_mod = old_router_class(base, tmp)
    holder = KBHolder()
    routers = {"old": old_mod.Router(holder.kb), "new": holder.router}
    clears = {
        "old": importlib.import_module("oldbot.text").normalise.cache_clear,
        "new": normalise.cache_clear,
    }
    qs = questions()
    texts = {
        200: (STORY * 8)[:186] + "老旧小区改造什么时候",
        300: (STORY * 12)[:286] + "老旧小区改造什么时候",
        600: (STORY * 24)[:586] + "老旧小区改造什么时候",
    }
    warm = {k: {q: [] for q in qs} for k in routers}  # per question, one time per rep
    long = {(k, n): [] for k in routers for n in texts}
    rng = random.Random(7)
    for r in routers.values():  # warm-up: caches, first-call costs
        for q in qs[:200]:
            r.route(q)
    for _ in range(reps):
        order = qs[:]
        rng.shuffle(order)
        for name in ("old", "new"):  # A B A B: both see the same machine load
            for q, t in zip(order, timed(routers[name].route, order, clears[name]), strict=True):
                warm[name][q].append(t)
            for n, text in texts.items():
                long[name, n] += timed(routers[name].route, [text] * 20, clears[name])

    print(f"questions routed warm: {len(qs)} x {reps} reps, old = {base}, new = worktree")
    for name in ("old", "new"):
        t = [x for ts in warm[name].values() for x in ts]
        # Each question's best rep: the router's own cost, without a busy neighbour's.
        best = [min(ts) for ts in warm[name].values()]
        print(
            f"  {name}: all runs median {statistics.median(t):.3f} ms  p99 {percentile(t, 99):.3f}"
            f" ms  max {max(t):.3f} ms | best of reps: median {statistics.median(best):.3f} ms"
            f"  p99 {percentile(best, 99):.3f} ms"
        )
    for n in texts:
        cells = []
        for name in ("old", "new"):
            r = routers[name].route(texts[n])
            t = long[name, n]
            shown = (
                "refused (too long)"
                if r.too_long
                else f"{statistics.median(t):.3f} ms (min {min(t):.3f})"
            )
            cells.append(f"{name} {shown}")
        print(f"  {n}-char message median: " + "  ".join(cells))


if __name__ == "__main__":
    main()
