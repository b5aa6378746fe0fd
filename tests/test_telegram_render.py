"""Rendering replies for Telegram, and the flood gate's arithmetic."""

from __future__ import annotations

import html

import pytest
from fakebotapi import FakeBotAPI
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot

from bot.channels.telegram import render as render_mod
from bot.channels.telegram.gate import DROP, PASS, WARN, FloodGate
from bot.channels.telegram.render import MAX_TEXT, keyboard, render, units
from bot.channels.telegram.send import send_reply
from bot.models import Button, Reply


def test_text_and_quote_are_escaped_and_the_quote_is_a_blockquote():
    reply = Reply("租房 <补贴> & 条件", [[Button("看 <原文>", "src:7")]], quote="原文写着 <b>x</b>")
    [msg] = render(reply)
    assert (
        msg.html
        == "租房 &lt;补贴&gt; &amp; 条件\n<blockquote>原文写着 &lt;b&gt;x&lt;/b&gt;</blockquote>"
    )
    [[button]] = msg.markup.inline_keyboard
    assert (button.text, button.callback_data) == ("看 <原文>", "src:7")  # buttons are not HTML


def test_callback_data_over_64_bytes_is_refused():
    assert keyboard([[Button("ok", "a:20:eligibility")]]) is not None
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard([[Button("太长", "订阅" * 11)]])  # 66 bytes in UTF-8


def test_a_long_reply_is_split_on_line_boundaries_with_the_keyboard_last():
    lines = [f"第{i}行：" + "民心工程" * 20 for i in range(120)]  # ~10,000 characters
    parts = render(Reply("\n".join(lines), [[Button("全部项目", "list")]]))
    assert len(parts) == 3
    assert all(units(p.html) <= MAX_TEXT for p in parts)
    assert [p.markup is not None for p in parts] == [False, False, True]
    assert "\n".join(p.html for p in parts).split("\n") == lines  # nothing lost, no line cut


def test_a_single_line_longer_than_a_message_is_cut_without_breaking_escapes():
    parts = render(Reply("<&>" * 3000))
    assert all(units(p.html) <= MAX_TEXT for p in parts)
    assert html.unescape("".join(p.html for p in parts)) == "<&>" * 3000


@given(
    st.lists(st.text(alphabet="民心<>&\n😀ab ", max_size=300), max_size=40),
    st.text(alphabet="原文<&\n", max_size=500),
)
def test_every_part_fits_and_the_text_survives(lines, quote):
    text = "\n".join(lines)
    parts = render(Reply(text, quote=quote or None), limit=200)
    assert all(units(p.html) <= 200 for p in parts)
    visible = html.unescape(
        "".join(p.html for p in parts).replace("<blockquote>", "").replace("</blockquote>", "")
    )
    # Whitespace may move at message edges (an all-blank message cannot be sent); words may not.
    assert "".join(visible.split()) == "".join((text + (quote or "")).split())


async def test_a_5000_character_reply_goes_out_as_two_messages():
    async with FakeBotAPI() as api, Bot(api.token, base_url=api.base_url) as bot:
        body = "\n".join(f"{i:03d} " + "民" * 45 for i in range(100))  # 100 lines, ~5,000 chars
        await send_reply(bot, 42, Reply(body, [[Button("全部项目", "list")]]))
        first, second = api.of("sendMessage")
        assert len(first.params["text"]) <= 4096 and "reply_markup" not in first.params
        assert second.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "全部项目", "callback_data": "list"}]]
        }
        assert first.params["text"] + "\n" + second.params["text"] == body


def test_flood_gate_warns_once_then_drops_until_the_window_clears():
    gate = FloodGate(max_messages=3, per_seconds=60)
    verdicts = [gate.check("u", now=t) for t in (0, 1, 2, 3, 4, 5)]
    assert verdicts == [PASS, PASS, PASS, WARN, DROP, DROP]
    assert gate.check("other", now=5) == PASS  # per user
    assert gate.check("u", now=60.5) == PASS  # the first message left the window
    assert gate.check("u", now=61.5) == PASS
    assert gate.check("u", now=62.5) == PASS
    assert gate.check("u", now=62.6) == WARN  # a new window, a new single warning


def test_flood_gate_memory_is_bounded():
    gate = FloodGate(max_messages=1, per_seconds=60, max_users=100)
    for u in range(1000):
        gate.check(u, now=0)
    assert len(gate._seen) == 100


def _greedy(lines, limit):
    """The line-by-line packing _pack does when a reply does not fit one message."""
    chunks, cur, used = [], [], 0
    for line, quoted in lines:
        room = limit - 1 - (render_mod._TAGS if quoted else 0)
        fits = render_mod._cost(line, False) - 1 <= room
        for piece in [line] if fits else render_mod._pieces(line, room):
            opens = quoted and (not cur or not cur[-1][1])
            cost = render_mod._cost(piece, opens)
            if cur and used + cost > limit:
                chunks.append(cur)
                cur, used = [], 0
                cost = render_mod._cost(piece, quoted)
            cur.append((piece, quoted))
            used += cost
    chunks.append(cur)
    return [c for c in chunks if any(t.strip() for t, _ in c)]


def test_one_message_shortcut_packs_exactly_as_line_by_line():
    import random

    rng = random.Random(15)
    alphabet = "万东路<>&a 😀\t修好了吗"
    for _ in range(3000):
        lines = [
            ("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))), False)
            for _ in range(rng.randint(1, 6))
        ]
        for limit in (5, 10, 20, 40, 80):
            assert render_mod._pack(lines, limit) == _greedy(lines, limit), (lines, limit)


def test_reply_fields_given_as_strings_are_the_fields_ptb_makes_of_the_objects():
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.request import RequestData
    from telegram.request._requestparameter import RequestParameter

    from bot.channels.telegram.send import HTML, NO_PREVIEW_JSON

    def form(params):
        return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])

    ptb = {"chat_id": -1001234, "parse_mode": ParseMode.HTML,
           "link_preview_options": LinkPreviewOptions(is_disabled=True)}  # fmt: skip
    ours = {"chat_id": str(-1001234), "parse_mode": HTML, "link_preview_options": NO_PREVIEW_JSON}
    assert form(ours).json_parameters == form(ptb).json_parameters
