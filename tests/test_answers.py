"""Answers: every project answers every intent from KB facts only; the truth rule checked by machine."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.intents import PROJECT_INTENTS
from bot.models import Message, ProgressNote
from bot.text import numbers_in
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def kb_numbers() -> set[str]:
    """Every number written anywhere in the knowledge base files."""
    text = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "knowledge").rglob("*") if p.is_file()
    )
    return numbers_in(text)


def ask(dialogue, text, user="resident"):
    """A resident types `text`; returns the awaitable reply."""
    return dialogue.respond(Message("console", user, text))


@pytest.mark.parametrize("number", range(1, 21))
@pytest.mark.parametrize("intent", PROJECT_INTENTS)
async def test_every_project_answers_every_intent_truthfully(dialogue, kb_numbers, number, intent):
    msg = Message("console", f"u{number}{intent}", "")
    reply = await dialogue.act(msg, f"a:{number}:{intent}")
    p = dialogue.services.kb.kb.project(number)
    assert reply.text.startswith(f"【第{number}项 {p.title}】")
    assert len(reply.text) < 1200  # a phone screen or two, not a wall
    invented = numbers_in(reply.text) - kb_numbers
    assert not invented, (number, intent, invented, reply.text)
    labels = [b.label for b in reply.flat_buttons()]
    assert "查看原文" in labels
    assert all(len(b.action.encode()) <= 64 for b in reply.flat_buttons())
    if intent in ("benefit", "eligibility", "apply", "deadline") and intent in p.todo:
        # the source is silent on part of it: say so, and where to ask
        assert "原文未说明" in reply.text and "12345" in reply.text


async def test_benefit_answer_puts_the_amounts_first(dialogue):
    reply = await ask(dialogue, "医保住院最高能报多少")
    assert reply.route.project == 5 and reply.route.intent == "benefit"
    first_fact = reply.text.splitlines()[2]
    assert "18万元" in first_fact and "25万元" in first_fact


async def test_deadline_answer_gives_the_date(dialogue):
    reply = await ask(dialogue, "失业金哪天开始涨")
    assert reply.route.project == 1
    assert "2023年7月1日" in reply.text


async def test_apply_answer_never_invents_a_phone_and_points_to_12345(dialogue):
    reply = await ask(dialogue, "退役军人服务站电话多少")
    assert reply.route.project == 20 and reply.route.intent == "apply"
    assert "原文未说明" in reply.text and "12345" in reply.text
    digits = numbers_in(reply.text) - {"12345", "20"}
    assert not digits, reply.text


async def test_progress_without_entries_says_none_published(dialogue):
    reply = await ask(dialogue, "万东路修好了吗")
    assert reply.route.project == 9 and reply.route.intent == "progress"
    assert "暂无进展发布" in reply.text
    assert any(b.action == "sub:9" for b in reply.flat_buttons())


class FakeProgress:
    """An in-memory progress source standing in for the admin database."""

    def __init__(self, notes):
        self.notes = notes

    async def progress_history(self, project):
        return [n for n in self.notes if n.project == project]


async def test_progress_answer_shows_the_latest_entry_with_its_date(dialogue, kb_numbers):
    dialogue.services.progress = FakeProgress(
        [
            ProgressNote(9, "进行中", 40, "管线施工中", "王工", dt.date(2023, 6, 1), "admin"),
            ProgressNote(9, "进行中", 75, "路面铺设中", "王工", dt.date(2023, 9, 15), "admin"),
        ]
    )
    reply = await ask(dialogue, "万东路进度怎么样了")
    assert "截至2023年9月15日：进行中 75%" in reply.text
    assert "路面铺设中" in reply.text and "40" not in reply.text
    invented = numbers_in(reply.text) - kb_numbers - {"2023", "9", "15", "75"}
    assert not invented


async def test_full_list_is_numbered_by_category(dialogue):
    reply = await ask(dialogue, "民心工程有哪些")
    kb = dialogue.services.kb.kb
    for p in kb.projects.values():
        assert f"{p.number}. {p.title}" in reply.text
    for cat in kb.year.categories:
        assert f"【{cat}】" in reply.text


async def test_source_button_quotes_the_paragraph_verbatim(dialogue):
    reply = await dialogue.act(Message("console", "u", ""), "src:8")
    assert reply.quote == dialogue.services.kb.kb.project(8).source
    assert "逸庭苑" in reply.quote


@pytest.mark.parametrize(
    ("text", "must_contain"),
    [
        ("你好", "民心通"),
        ("谢谢", "不客气"),
        ("怎么用", "直接用自己的话提问"),
        ("转人工", "12345"),
        ("护照怎么办", "不在"),
    ],
)
async def test_small_talk_replies(dialogue, text, must_contain):
    reply = await ask(dialogue, text)
    assert must_contain in reply.text
    assert reply.buttons
