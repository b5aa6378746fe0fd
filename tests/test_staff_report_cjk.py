"""The report's Chinese is drawn with real glyphs in headless Chromium, not as empty boxes.

Missing a CJK font (Debian: fonts-noto-cjk), every Chinese character falls back to the same
.notdef box a private-use character gets; with the font, each character has its own shape.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from test_staff_stats import _png_pixels

from bot.staff.report import CSS, html_report
from bot.staff.stats import Stats

CHARS = ("民", "心", "工", "\U0010fffd", "\U0010fffd")  # three CJK, then two with no glyph anywhere
BOX = 100


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (.ci/run installs it with fonts-noto-cjk)",
)
def test_chinese_in_the_report_font_is_drawn_as_distinct_glyphs(tmp_path):
    import datetime as dt

    empty = Stats(dt.date(2026, 12, 1), dt.date(2026, 12, 1), 0, 0, 0, [], [], [], [])
    assert "font-family: 'Noto Sans CJK SC'" in html_report(empty, "测试")  # the report's own CSS
    cells = "".join(
        f'<div style="position:absolute;left:{i * BOX}px;top:0;width:{BOX}px;height:{BOX}px;'
        f'font-size:80px;line-height:{BOX}px;text-align:center">{c}</div>'
        for i, c in enumerate(CHARS)
    )
    page = tmp_path / "glyphs.html"
    page.write_text(
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>{CSS}'
        "body{margin:0}</style></head><body>" + cells + "</body></html>",
        encoding="utf-8",
    )
    shot = tmp_path / "glyphs.png"
    cmd = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", "--force-color-profile=srgb", f"--user-data-dir={tmp_path / 'p'}",
        "--force-device-scale-factor=1", f"--screenshot={shot}",
        "--window-size=800,300", page.as_uri(),  # smaller windows come out blank
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, timeout=180)
    assert shot.exists(), proc.stderr.decode(errors="replace")[-2000:]
    width, height, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (800, 300)

    def cell(i: int) -> tuple:
        return tuple(
            sum(pixels[y * width + x]) < 384
            for y in range(height)
            for x in range(i * BOX, (i + 1) * BOX)
        )  # dark pixels of one box

    shapes = [cell(i) for i in range(len(CHARS))]
    notdef = shapes[3]
    assert shapes[3] == shapes[4]  # the no-glyph box is drawn the same way each time
    for i, c in enumerate(CHARS[:3]):
        assert sum(shapes[i]) > 200, f"{c} left no ink"
        assert shapes[i] != notdef, f"{c} is drawn as the no-glyph box: install fonts-noto-cjk"
    assert len({shapes[0], shapes[1], shapes[2]}) == 3  # 民 心 工: three different shapes
