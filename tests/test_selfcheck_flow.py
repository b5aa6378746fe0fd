"""Issue 16: the self-check never traps a resident. 退出, an unrelated question, or 20 silent
minutes end it, on the dialogue layer (what every channel hands its messages to): afterwards
the self-check's option words are ordinary questions again and nothing of it is kept."""

from __future__ import annotations

import pytest

import handlers.selfcheck as sc
from bot.channels.console import render
from bot.channels.text import TextTurns
from bot.conversation import Conversation
from bot.dialogue import Dialogue
from bot.models import Message
from bot.services import Services

USER = "王奶奶"
FIRST = "看看您可能享受哪些（随时可以发“退出”）。\n1. 家里有老人吗？"
SECOND = "2. 家里有残疾人或卧床不能自理的人吗？"


@pytest.fixture
def dialogue(holder):
    return Dialogue(Services(holder))


@pytest.fixture
def say(dialogue):
    turns = TextTurns(Conversation(dialogue, None), render, 100_000)  # the console's numbering

    async def say(text: str) -> str:
        return await turns.answer(Message("console", USER, text))

    return say


def in_flow(dialogue) -> bool:
    return dialogue.services.contexts.get(USER).selfcheck is not None


async def test_exit_ends_the_self_check(say, dialogue):
    assert (await say("我能享受哪些")).startswith(FIRST)
    assert (await say("2")).startswith(SECOND)
    assert (await say("退出")).splitlines()[0] == "已退出自测。想再测一次，发“我能享受哪些”。"
    assert not in_flow(dialogue)
    screen = await say("有残疾人")  # an option of question 2 no longer: read as a question
    assert not screen.startswith("3.") and not in_flow(dialogue)


async def test_an_unrelated_question_ends_it_and_is_answered_as_usual(say, dialogue):
    assert (await say("我能享受哪些")).startswith(FIRST)
    assert (await say("2")).startswith(SECOND)
    assert (await say("今天天气怎么样")).splitlines()[:2] == [
        "这个问题不在河东区2023年20项民心工程的范围内，我答不了。",
        "请拨打天津12345政务服务便民热线（12345）咨询。",
    ]
    assert not in_flow(dialogue)
    assert not (await say("有残疾人")).startswith("3.")


async def test_after_twenty_silent_minutes_an_old_button_starts_over(dialogue, monkeypatch):
    msg = Message("telegram", USER, "")
    assert (await dialogue.act(msg, "sc:again")).text == FIRST
    assert (await dialogue.act(msg, "sc:0:1")).text == SECOND
    later = sc.time.monotonic() + sc.TIMEOUT + 1
    monkeypatch.setattr(sc.time, "monotonic", lambda: later)
    # question 2's button pressed 20 minutes on: the old answers are gone, it asks from the start
    assert (await dialogue.act(msg, "sc:1:0")).text == FIRST
    assert dialogue.services.contexts.get(USER).selfcheck.groups == set()
