"""One self-contained HTML report of the statistics: inline SVG charts, inline CSS, no scripts, no CDN."""

from __future__ import annotations

import datetime as dt
from html import escape

from bot.staff.stats import INTENT_NAMES, Stats
from bot.storage.progress import LOCAL_TZ

ANSWERED = "#2563eb"
UNANSWERED = "#f97316"
PROJECT = "#0d9488"
INTENT = "#7c3aed"
TRACK = "#e5e7eb"
FONT = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"

CSS = f"""
body {{ font-family: {FONT}; margin: 24px; color: #111827; background: #fff; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }} h2 {{ font-size: 17px; margin: 28px 0 8px; }}
.meta {{ color: #4b5563; font-size: 13px; }}
.cards {{ display: flex; gap: 12px; flex-wrap: wrap; margin-top: 16px; }}
.card {{ border: 1px solid {TRACK}; border-radius: 8px; padding: 10px 16px; min-width: 120px; }}
.card b {{ display: block; font-size: 24px; }}
.legend span {{ display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }}
table {{ border-collapse: collapse; font-size: 14px; }}
td, th {{ border-bottom: 1px solid {TRACK}; padding: 6px 10px; text-align: left; vertical-align: top; }}
svg text {{ font-family: {FONT}; }}
"""


def _svg(kind: str, width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def nice_ceiling(value: int) -> int:
    """The smallest of 4, 8, 20, 40, 80, 200 … at or above `value`: four whole-number ticks."""
    top = 4
    while top < value:
        top = top * 2 if str(top)[0] == "4" else top * 5 // 2 if str(top)[0] == "8" else top * 2
    return top


def days_chart(s: Stats, width: int = 860, height: int = 260) -> str:
    """Stacked bars per day: answered below, unanswered on top."""
    left, right, top, bottom = 40, 10, 10, 34
    peak = nice_ceiling(max((d.total for d in s.days), default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(s.days), 1)
    bar_w = max(step * 0.7, 1.0)
    body = []
    for k in range(5):  # grid lines and y labels
        v = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TRACK}"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{v:.0f}</text>'
        )
    label_every = max(1, len(s.days) // 10)
    for i, d in enumerate(s.days):
        x = left + i * step + (step - bar_w) / 2
        h_a = plot_h * d.answered / peak
        h_u = plot_h * d.unanswered / peak
        base = top + plot_h
        tip = escape(f"{d.date:%m-%d}: 已答 {d.answered}，未答 {d.unanswered}")
        if h_a:
            body.append(
                f'<rect x="{x:.1f}" y="{base - h_a:.1f}" width="{bar_w:.1f}" height="{h_a:.1f}" fill="{ANSWERED}"><title>{tip}</title></rect>'
            )
        if h_u:
            body.append(
                f'<rect x="{x:.1f}" y="{base - h_a - h_u:.1f}" width="{bar_w:.1f}" height="{h_u:.1f}" fill="{UNANSWERED}"><title>{tip}</title></rect>'
            )
        if i % label_every == 0:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 12}" font-size="11" text-anchor="middle">{d.date:%m-%d}</text>'
            )
    return _svg("days", width, height, body, "每日问题数（已答 / 未答）")


def bars_chart(
    kind: str, rows: list[tuple[str, int]], color: str, title: str, width: int = 860
) -> str:
    """Horizontal bars with a label on the left and the count on the right."""
    row_h, label_w = 24, 280
    height = max(len(rows), 1) * row_h + 8
    peak = max((c for _, c in rows), default=0) or 1
    body = []
    for i, (label, count) in enumerate(rows):
        y = 4 + i * row_h
        w = (width - label_w - 60) * count / peak
        body.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="13" text-anchor="end">{escape(label)}</text>'
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{color}"/>'
        )
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">{count}</text>')
    if not rows:
        body.append('<text x="8" y="20" font-size="13">（这段时间没有）</text>')
    return _svg(kind, width, height, body, title)


def rate_chart(s: Stats, size: int = 180) -> str:
    """A ring: the answered share of all questions."""
    r, c = size * 0.38, size / 2
    circumference = 2 * 3.141592653589793 * r
    answered = circumference * s.answer_rate
    body = [
        f'<circle cx="{c}" cy="{c}" r="{r:.1f}" fill="none" stroke="{UNANSWERED if s.total else TRACK}" stroke-width="{size * 0.14:.1f}"/>',
        f'<circle cx="{c}" cy="{c}" r="{r:.1f}" fill="none" stroke="{ANSWERED}" stroke-width="{size * 0.14:.1f}" '
        f'stroke-dasharray="{answered:.1f} {circumference:.1f}" transform="rotate(-90 {c} {c})"/>',
        f'<text x="{c}" y="{c + 8}" font-size="{size * 0.14:.0f}" text-anchor="middle" font-weight="bold">{s.answer_rate:.0%}</text>',
    ]
    return _svg("rate", size, size, body, f"回答率 {s.answer_rate:.0%}")


def html_report(s: Stats, title: str, generated: dt.datetime | None = None) -> str:
    generated = generated or dt.datetime.now(LOCAL_TZ)
    projects = [(f"第{n}项 {t}", c) for n, t, c in s.projects[:20]]
    intents = [(f"{INTENT_NAMES.get(i, i)}（{i}）", c) for i, c in s.intents]
    clusters = (
        "".join(
            f"<tr><td>{k}</td><td><code>{escape(c.id)}</code></td><td>{c.size}</td><td>{c.users}</td>"
            f"<td>{escape(' / '.join(c.examples(4)))}</td></tr>"
            for k, c in enumerate(s.clusters, 1)
        )
        or '<tr><td colspan="5">（没有未答问题）</td></tr>'
    )
    helpful_rows = (
        "".join(
            f"<tr><td>第{h.project}项 {escape(h.title)}</td><td>{h.helpful}</td><td>{h.unhelpful}</td></tr>"
            for h in s.helpfulness
        )
        or '<tr><td colspan="3">（还没有居民评价）</td></tr>'
    )
    bad_rows = (
        "".join(
            f"<tr><td>第{f.project}项</td><td>{INTENT_NAMES.get(f.intent, f.intent)}</td>"
            f"<td>{escape(f.question or '')}</td></tr>"
            for f in s.unhelpful[:30]
        )
        or '<tr><td colspan="3">（无）</td></tr>'
    )
    suggestion_rows = (
        "".join(
            f"<tr><td>{escape(topic)}</td><td>{len(items)}</td>"
            f"<td>{'<br>'.join(escape(x.text) for x in items[:20])}</td></tr>"
            for topic, items in s.suggestions
        )
        or '<tr><td colspan="3">（无）</td></tr>'
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} 问答统计</title><style>{CSS}</style></head>
<body>
<h1>{escape(title)} · 问答统计</h1>
<div class="meta">{s.first:%Y-%m-%d} — {s.last:%Y-%m-%d}（{len(s.days)} 天）· 生成于 {generated:%Y-%m-%d %H:%M}</div>
<div class="cards">
<div class="card">问题<b>{s.total}</b></div>
<div class="card">提问人<b>{s.users}</b></div>
<div class="card">已回答<b>{s.answered}</b></div>
<div class="card">回答率<b>{s.answer_rate:.0%}</b></div>
<div class="card">自测<b>{len(s.selfchecks)}</b></div>
</div>
<div class="meta">{escape(s.selfcheck_line)}（不计入问题；只记次数和找到的项目数，不记居民的选择）</div>
<h2>每日问题数</h2>
<div class="legend"><span style="background:{ANSWERED}"></span>已回答<span style="background:{UNANSWERED}"></span>未回答</div>
{days_chart(s)}
<h2>回答率</h2>
{rate_chart(s)}
<h2>按项目</h2>
{bars_chart("projects", projects, PROJECT, "每个项目的问题数")}
<h2>按意图</h2>
{bars_chart("intents", intents, INTENT, "每种意图的问题数")}
<h2>未答问题最多的几组</h2>
<table><tr><th>#</th><th>编号</th><th>次数</th><th>人数</th><th>问法</th></tr>{clusters}</table>
<h2>回答是否有用</h2>
<table><tr><th>项目</th><th>有用</th><th>没用</th></tr>{helpful_rows}</table>
<h3>居民说“没用”的问题</h3>
<table><tr><th>项目</th><th>意图</th><th>问题</th></tr>{bad_rows}</table>
<h2>居民建议（按主题）</h2>
<table><tr><th>主题</th><th>条数</th><th>建议</th></tr>{suggestion_rows}</table>
<p class="meta">收录到项目：python -m bot inbox accept 编号 --project N；忽略：python -m bot inbox dismiss 编号</p>
</body></html>
"""
