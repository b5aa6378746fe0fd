"""A knowledge base of n distinct projects for start-up benchmarks (a city's list, or several
districts' lists in one KB), made from the bundled 20.

Copies of the 20 with new numbers only would flatter every start-up cost that grows with the
vocabulary: the lexicon, the segmenter's dictionary and the pinyin automaton keep each word
once, so 380 copies add almost nothing to them. Here project k > 20 belongs to an invented
neighbourhood with a three-character name of its own (甲子坊, 甲子里, …): its title, aliases,
keywords and situations all carry that name, and its source paragraph (appended to the copy's
source.txt, heading renamed the same way) backs it, so every project passes the truth checks
and each adds its own words — about as many as a real project has.

    .venv/bin/python benchmarks/bigkb.py OUT_FOLDER [--projects 400]   # writes and checks one
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Names no list uses: heavenly stem + earthly branch + a neighbourhood word, 10 x 12 x 4 = 480.
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_PLACES = "坊里庄屯"
WORD_LISTS = ("aliases", "keywords", "situations")


def names() -> list[str]:
    """Every invented neighbourhood name, in a fixed order."""
    return ["".join(t) for t in itertools.product(_STEMS, _BRANCHES, _PLACES)]


def big_kb(folder: Path, n: int) -> Path:
    """Write a KB of n projects under folder/kb{n} (the bundled one, plus n - 20 renamed)."""
    kb = folder / f"kb{n}"
    shutil.copytree(ROOT / "knowledge", kb)
    year = next(p for p in kb.iterdir() if p.is_dir() and (p / "_list.yaml").exists())
    files = sorted(year.glob("[0-9][0-9]-*.yaml"))
    if n - len(files) > len(names()):
        raise ValueError(f"at most {len(files) + len(names())} projects")
    source, paragraphs = year / "source.txt", []
    for k, place in zip(range(len(files) + 1, n + 1), names(), strict=False):
        data = yaml.safe_load(files[(k - 1) % len(files)].read_text("utf-8"))
        _rename(data, k, place)
        paragraphs.append(data["source"])
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
        (year / f"{k}-{place}.yaml").write_text(text, "utf-8")
    with source.open("a", encoding="utf-8") as out:
        out.write("\n\n" + "\n\n".join(paragraphs) + "\n")
    listing = (year / "_list.yaml").read_text("utf-8")
    (year / "_list.yaml").write_text(
        re.sub(r"^projects: \d+", f"projects: {n}", listing, flags=re.M), "utf-8"
    )
    return kb


def _rename(data: dict, number: int, place: str) -> None:
    """Project `number` of the neighbourhood `place`: its own heading and its own words."""
    title = data["title"]
    data["number"] = number
    data["title"] = place + title
    # The paragraph opens with its heading (九、建设城市市政道路。…): the same heading, renamed.
    data["source"] = data["source"].replace(title, place + title, 1)
    for key in WORD_LISTS:
        data[key] = [place + w for w in data.get(key) or []]
    data["progress"] = []  # dated admin entries belong to the real project only


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--projects", type=int, default=400)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    kb = big_kb(args.out, args.projects)
    sys.path.insert(0, str(ROOT))
    from bot.kb.loader import load_kb

    result = load_kb(kb)
    print(
        f"{kb}: {len(result.kb.projects) if result.kb else 0} projects, {len(result.errors)} errors"
    )
    for e in result.errors[:10]:
        print(" ", e)
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
