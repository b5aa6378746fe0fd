"""Bad input never crashes and always gets a useful reply (property-based over arbitrary Unicode)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.intents import INTENTS
from bot.models import Message
from bot.router import MAX_CHARS

_RESIDENTS = itertools.count()


def _check(reply, holder, said: str = ""):
    assert reply.text.strip()
    assert reply.buttons, "every reply offers a next step"
    # The hand-off offer quotes the resident's own words: an "Error" they typed is theirs.
    for word in ("Traceback", "Error"):
        assert word not in reply.text or word in said
    if reply.route is not None:
        assert reply.route.intent in INTENTS
        assert 0.0 <= reply.route.confidence <= 1.0
        assert reply.route.project is None or reply.route.project in holder.kb.projects


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
async def test_any_unicode_gets_a_reply(dialogue, holder, text):
    # A fresh resident each time: the hand-off offer after misses quotes earlier questions.
    _check(
        await dialogue.respond(Message("console", f"fuzz{next(_RESIDENTS)}", text)), holder, text
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=60),
)
async def test_any_chinese_gets_a_reply_on_every_kind_of_channel(dialogue, holder, text):
    _check(await dialogue.respond(Message("wechat", "fuzz", text)), holder)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(action=st.text(max_size=80))
async def test_any_button_payload_gets_a_reply(dialogue, holder, action):
    _check(await dialogue.act(Message("telegram", "fuzz", ""), action), holder)


async def test_named_bad_inputs(dialogue, holder):
    cases = {
        "": "请输入",
        "   \n\t ": "请输入",
        "🙂🙂🙂": None,
        "医保" * 5000: "太长",  # 10,000 characters: asked to shorten, not routed
        "\x00\x07\x1b[31m医保\x1b[0m": None,
        "Hello 医保 ممكن 住院 報銷": None,
        "<script>alert(1)</script>": None,
        "\ud800": None,  # a lone surrogate, as broken clients send
    }
    for text, expected in cases.items():
        reply = await dialogue.respond(Message("console", "bad", text))
        _check(reply, holder)
        if expected:
            assert expected in reply.text, (text[:20], reply.text)


async def test_long_messages_are_cut_off_before_routing(dialogue, holder):
    reply = await dialogue.respond(Message("console", "long", "租房补贴" * 3000))
    assert reply.route.too_long and reply.route.project is None
    reply = await dialogue.respond(
        Message("console", "long", "租房补贴怎么申请" + "。" * (MAX_CHARS - 10))
    )
    assert reply.route.project == 7  # still within the limit: answered
