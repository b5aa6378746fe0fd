"""Statistics: a seeded week of questions, as text and as an HTML report rendered in headless Chromium."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Message
from bot.staff.report import ANSWERED, INTENT, PROJECT, UNANSWERED, html_report
from bot.staff.stats import LOCAL_TZ, compute, period_stats, text_report
from bot.storage import Database
from bot.storage.qlog import LoggedQuestion, QuestionLogRepo

NOW = dt.datetime(2024, 5, 10, 4, 0, tzinfo=dt.timezone.utc)  # 12:00 in Tianjin
# (days ago, user, question): what residents asked over a week.
WEEK = [
    (0, "tg:1", "口袋公园建在哪"),
    (0, "tg:2", "口袋公园在哪里"),
    (0, "tg:3", "护照怎么办"),
    (1, "tg:1", "失业金什么时候涨"),
    (1, "wx:4", "护照在哪办理"),
    (2, "wx:5", "家庭养老床位怎么申请"),
    (2, "wx:5", "万东路修好了吗"),
    (4, "tg:6", "办护照去哪里"),
    (6, "tg:7", "楼道灯坏了找谁"),
    (6, "tg:8", "口袋公园建在哪"),
    (9, "tg:9", "口袋公园建在哪"),  # outside a 7-day window
]


async def seed(db: Database, holder) -> QuestionLogRepo:
    repo = QuestionLogRepo(db, "secret", retention_days=365)
    for ago, user, text in WEEK:
        at = NOW - dt.timedelta(days=ago)
        await repo.record(Message("telegram", user, text), holder.router.route(text), at=at)
    return repo


async def test_statistics_of_a_week_per_day_project_intent_and_answer_rate(db, holder):
    repo = await seed(db, holder)
    s = await period_stats(repo, holder.kb, holder.router, days=7, now=NOW)

    assert (s.first, s.last) == (dt.date(2024, 5, 4), dt.date(2024, 5, 10))
    assert s.total == 10 and s.users == 8
    assert [(d.date.day, d.answered, d.unanswered) for d in s.days] == [
        (4, 1, 1), (5, 0, 0), (6, 0, 1), (7, 0, 0), (8, 2, 0), (9, 1, 1), (10, 2, 1),
    ]  # fmt: skip
    assert s.answered == 6 and s.answer_rate == pytest.approx(0.6)
    assert s.projects[0] == (15, "打造生态宜居环境", 3)
    assert {n for n, _, _ in s.projects} == {15, 1, 4, 9}
    assert dict(s.intents)["out_of_scope"] == 4
    assert [sorted(c.examples()) for c in s.clusters[:1]] == [
        ["办护照去哪里", "护照在哪办理", "护照怎么办"]
    ]

    text = text_report(s)
    assert "问题 10 个，提问人 8 位，已回答 6 个（回答率 60%）" in text
    assert "05-10    2 / 1" in text and "第15项 打造生态宜居环境  3" in text
    assert "护照怎么办" in text


def _png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) without any imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            bpp = 4 if color == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    pixels = [tuple(row[x * bpp : x * bpp + 3]) for row in rows for x in range(width)]
    return width, height, pixels


def _near(hex_color: str, pixels, tolerance: int = 12) -> int:
    want = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return sum(1 for p in pixels if all(abs(p[k] - want[k]) <= tolerance for k in range(3)))


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (.ci/run installs it)",
)
def test_the_html_report_renders_in_headless_chromium_with_its_charts(holder, tmp_path):
    questions = [
        LoggedQuestion(
            NOW - dt.timedelta(days=ago), user, "telegram", text, r.project, r.intent, r.confidence
        )
        for ago, user, text in WEEK
        for r in [holder.router.route(text)]
    ]
    s = compute(questions, holder.kb, holder.router, dt.date(2024, 5, 4), dt.date(2024, 5, 10))
    assert s.total == 10  # the same week as above, without a database in between
    html = html_report(s, holder.kb.year.title, dt.datetime(2024, 5, 10, 12, tzinfo=LOCAL_TZ))
    for chart in ("days", "rate", "projects", "intents"):
        assert f'data-chart="{chart}"' in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")

    shot = tmp_path / "shot.png"
    cmd = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", "--force-color-profile=srgb", f"--user-data-dir={tmp_path / 'profile'}",
        "--force-device-scale-factor=0.5",  # a 450x750 image of a 900x1500 page: quick to decode
        f"--screenshot={shot}", "--window-size=900,1500", report.as_uri(),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, timeout=180)
    assert shot.exists(), proc.stderr.decode(errors="replace")[-2000:]

    width, height, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (450, 750)
    white = _near("#ffffff", pixels, 3)
    assert white < 0.97 * len(pixels)  # not blank
    # Every chart left its colour on the page: daily bars, the answer-rate ring, projects, intents.
    for colour in (ANSWERED, UNANSWERED, PROJECT, INTENT):
        assert _near(colour, pixels) > 150, colour


def test_stats_from_the_command_line_writes_the_html_file(tmp_path, capsys, holder):
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"

    async def fill():
        db = Database(url)
        await db.start()
        repo = QuestionLogRepo(db, "secret")
        for _, user, text in WEEK[:4]:
            await repo.record(Message("console", user, text), holder.router.route(text))
        await db.close()

    asyncio.run(fill())
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"database:\n  url: {url}\nprivacy:\n  hmac_secret: secret\n", encoding="utf-8")
    out_file = tmp_path / "out" / "stats.html"
    assert main(["--config", str(cfg), "stats", "--days", "3", "--html", str(out_file)]) == 1
    assert "写不了" in capsys.readouterr().err  # its folder does not exist: said, not a traceback
    out_file = tmp_path / "stats.html"
    assert main(["--config", str(cfg), "stats", "--days", "3", "--html", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "问题 4 个" in out and f"HTML 报告：{out_file}" in out
    assert out_file.read_text(encoding="utf-8").count("<svg") == 4
    assert main(["--config", str(cfg), "stats", "--days", "0"]) == 2
    capsys.readouterr()
    down = tmp_path / "down.yaml"  # nothing listens on port 1: the database is unreachable
    down.write_text(
        "database:\n  url: postgresql+asyncpg://staff@127.0.0.1:1/bot\n", encoding="utf-8"
    )
    assert main(["--config", str(down), "stats"]) == 1
    assert "数据库打不开" in capsys.readouterr().err
    assert Path(out_file).stat().st_size > 1000
