"""Instructions counted by valgrind's callgrind: a figure that does not depend on the machine's
load, for the benchmarks that compare two revisions (bench_answer_cpu.py, bench_router.py).

A child is run twice, with no work and with N items, and the difference divided by N, so
start-up cancels out. Every revision runs from a temporary git worktree, A B A B: an earlier one
(--base), and this checkout as it was when the count began (its uncommitted edits included,
untracked files not), so editing files while it counts changes nothing. (Counting from the live
tree once gave 1.35x for a change worth 1.03x: the lexicon cache is keyed by the code's hash, and
a file saved between two children made one of them rebuild it.)
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def count(cmd: list[str], cwd: Path) -> int:
    """Instructions valgrind counted for one child (`cmd` after the interpreter) run in `cwd`."""
    with tempfile.TemporaryDirectory() as out:
        full = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.out",
            sys.executable, *cmd,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(cwd)}
        done = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or not found:
            raise SystemExit(f"valgrind run failed in {cwd}:\n{done.stderr[-2000:]}")
        return int(found.group(1))


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def snapshot() -> str:
    """This checkout as it is now, as a commit object (`git stash create`: nothing is stashed
    and the working tree is left as it is); HEAD when nothing is changed."""
    return _git("stash", "create") or _git("rev-parse", "HEAD")


@contextlib.contextmanager
def trees(base: str | None) -> Iterator[dict[str, Path]]:
    """{base: its worktree, "now": a worktree of this checkout as it is now}, base first."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    revisions = ({base: base} if base else {}) | {"now": snapshot()}
    made: dict[str, Path] = {}
    try:
        for name, rev in revisions.items():
            made[name] = Path(tempfile.mkdtemp(prefix="bench_instructions_"))
            _git("worktree", "add", "--detach", str(made[name]), rev)
        yield made
    finally:
        for tree in made.values():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)  # fmt: skip


def per_item(
    child: Callable[[int], list[str]], n: int, base: str | None, reps: int, unit: str
) -> None:
    """Print instructions per item (child(k): the command that does k items), now and base."""
    with trees(base) as found:
        per: dict[str, list[float]] = {k: [] for k in found}
        for _ in range(reps):
            for name, tree in found.items():  # A B A B
                count(child(0), tree)  # warms the start-up caches of this tree first
                per[name].append((count(child(n), tree) - count(child(0), tree)) / n)
    print(f"instructions per {unit} (callgrind, {n} {unit}s, {reps} runs each):")
    for name, values in per.items():
        print(f"  {name:>10}: median {statistics.median(values) / 1e6:.3f} M"
              f"  (runs: {', '.join(f'{v / 1e6:.3f}' for v in values)})")  # fmt: skip
    if base:
        ratio = statistics.median(per["now"]) / statistics.median(per[base])
        print(f"  now / {base}: {ratio:.3f}")
