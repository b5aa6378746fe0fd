"""Dialogue context, as a resident experiences it: follow-ups, topic switches, picks by number."""

from __future__ import annotations

from bot.channels.console import render
from bot.channels.text import TextTurns
from bot.conversation import Conversation
from bot.models import Message


async def say(dialogue, text, user="张阿姨"):
    return await dialogue.respond(Message("console", user, text))


async def typed(turns: TextTurns, text: str, user="张阿姨") -> str:
    """On a text-only channel (the console's rendering): what the resident reads."""
    return await turns.answer(Message("console", user, text))


def text_turns(dialogue) -> TextTurns:
    return TextTurns(Conversation(dialogue, None), render, 100_000)


async def test_follow_ups_inherit_the_last_project(dialogue):
    r = await say(dialogue, "租房补贴能领多少")
    assert (r.route.project, r.route.intent) == (7, "benefit")
    r = await say(dialogue, "怎么申请")
    assert (r.route.project, r.route.intent, r.route.inherited) == (7, "apply", True)
    assert "【第7项" in r.text
    r = await say(dialogue, "那什么时候开始？")
    assert (r.route.project, r.route.intent) == (7, "deadline")
    r = await say(dialogue, "收费吗")
    assert (r.route.project, r.route.intent) == (7, "benefit")


async def test_naming_another_project_switches_topic(dialogue):
    await say(dialogue, "口袋公园有几个")
    r = await say(dialogue, "排球场呢")  # same question, other project
    assert (r.route.project, r.route.intent) == (16, "overview")
    r = await say(dialogue, "要钱吗")
    assert r.route.project == 16


async def test_out_of_scope_does_not_inherit_and_clears_the_topic(dialogue):
    await say(dialogue, "见习基地怎么报名")
    r = await say(dialogue, "今天天气怎么样")
    assert (r.route.project, r.route.intent) == (None, "out_of_scope")
    r = await say(dialogue, "怎么申请")
    assert r.route.project is None
    assert "哪个项目" in r.text  # asks which project instead of guessing


async def test_users_do_not_share_context(dialogue):
    await say(dialogue, "租房补贴能领多少", user="甲")
    r = await say(dialogue, "怎么申请", user="乙")
    assert r.route.project is None


async def test_subscribe_this_project_uses_context_and_needs_a_channel(dialogue):
    await say(dialogue, "逸庭苑改造进度")
    r = await say(dialogue, "订阅这个项目")
    assert (r.route.project, r.route.intent) == (8, "subscribe")
    assert "Telegram" in r.text  # the console cannot push notifications


async def test_numbered_options_pick_by_typing_the_number(dialogue):
    turns = text_turns(dialogue)
    shown = await typed(turns, "冬病夏治是什么")
    options = shown.split("\n")[-2].split("  ")  # [1] 待遇  [2] 条件 …
    k = [o.split(" ", 1)[1] for o in options].index("怎么办") + 1
    shown = await typed(turns, str(k))
    assert shown.startswith("【第11项") and "地点和电话" in shown and "12345" in shown


async def test_after_the_list_a_number_opens_that_project(dialogue):
    turns = text_turns(dialogue)
    await typed(turns, "民心工程有哪些")
    assert (await typed(turns, "13")).startswith("【第13项 加强食品安全监管】")
    assert (await typed(turns, "第5项")).startswith("【第5项")


async def test_did_you_mean_offers_candidates_instead_of_guessing(dialogue):
    r = await say(dialogue, "道路绿化和道路建设")
    assert "哪一项" in r.text
    actions = {b.action for b in r.flat_buttons()}
    assert {"a:9:overview", "a:15:overview"} <= actions


async def test_unknown_button_payload_gets_the_menu(dialogue):
    r = await dialogue.act(Message("console", "u", ""), "a:99:overview")
    assert "请选择类别" in r.text
    r = await dialogue.act(Message("console", "u", ""), "garbage:\x00")
    assert r.buttons


async def test_follow_ups_may_bring_a_new_word_or_two(dialogue):
    await say(dialogue, "老人家食堂开在哪儿")
    r = await say(dialogue, "那啥时候开始营业")  # 营业 is not a KB word, but this is a follow-up
    assert (r.route.project, r.route.intent) == (4, "deadline")
    await say(dialogue, "见习基地怎么申请")
    r = await say(dialogue, "我是今年毕业的能报吗")
    assert (r.route.project, r.route.intent) == (1, "eligibility")


async def test_subscribing_after_a_question_subscribes_to_that_project(dialogue):
    await say(dialogue, "口袋公园建在哪")
    r = await say(dialogue, "订阅一下")
    assert (r.route.project, r.route.intent) == (15, "subscribe")
    r = await say(dialogue, "我要订阅", user="新用户")  # no earlier question: ask which
    assert (r.route.project, r.route.intent) == (None, "subscribe")


async def test_an_unrelated_question_with_a_cue_is_still_out_of_scope(dialogue):
    await say(dialogue, "租房补贴能领多少")
    for text in ("个税怎么申报", "护照去哪办", "今天天气怎么样"):
        r = await say(dialogue, text)
        assert (r.route.project, r.route.intent) == (None, "out_of_scope"), text
