"""Residents on WeChat, as transcripts: questions, numbered follow-ups, voice, menu clicks,
following and unfollowing, subscriptions by words, and long answers in parts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from wechat_support import running, services_with_storage, wechat_config

from bot.channels.wechat.render import MORE_HINT
from bot.storage.qlog import QuestionLogRepo
from bot.storage.subscriptions import SubscriptionRepo, users
from bot.storage.wechat import wechat_replies


@pytest.fixture
def services(holder, db):
    return services_with_storage(holder, db)


@pytest.fixture
async def wx(services, db):
    async with running(services, wechat_config(), db) as fake:
        yield fake


SINCE = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def header(holder, number: int) -> str:
    return f"【第{number}项 {holder.kb.project(number).title}】"


def options(content: str) -> dict[int, str]:
    """The numbered options at the end of a reply: {1: '待遇', ...}."""
    out = {}
    for line in content.splitlines():
        if line.startswith("回复 "):
            num, _, label = line[3:].partition(" ")
            out[int(num)] = label
    return out


async def test_a_bare_number_picks_that_users_pending_option(wx, holder):
    first = await wx.ask("oLi", "租房补贴怎么申请")
    assert first.startswith(header(holder, 7))
    pick = {label: n for n, label in options(first).items()}["待遇"]
    second = await wx.ask("oLi", str(pick))
    assert second.startswith(header(holder, 7))
    assert "能得到什么" in second
    # Another user typing the same number has no pending options of theirs to pick from.
    other = await wx.ask("oWang", str(pick))
    assert not other.startswith(header(holder, 7))


async def test_did_you_mean_and_category_choices_are_numbered(wx, holder):
    reply = await wx.ask("oZhao", "怎么申请")  # no project named: which one?
    cats = [name for name, _ in holder.kb.by_category()]
    assert list(options(reply).values()) == cats
    chosen = await wx.ask("oZhao", "3")
    assert chosen.startswith(f"【{cats[2]}】")


async def test_voice_with_recognition_is_answered_like_text(wx, holder):
    reply = await wx.send("voice_recognition", openid="oSun", recognition="医保住院最高报多少？")
    assert reply.startswith(header(holder, 5))


@pytest.mark.parametrize("fixture", ["voice", "image", "location", "link"])
async def test_what_cannot_be_read_gets_a_type_your_question_hint(wx, fixture):
    reply = await wx.send(fixture, openid="oZhou")
    assert "请用文字提问" in reply
    assert "回复 1 浏览全部项目" in reply  # the menu hint


async def test_following_gets_a_welcome_and_how_to_use(wx, holder, db):
    reply = await wx.send("event_subscribe", openid="oNew")
    assert reply.startswith("感谢关注")
    assert "直接用自己的话提问" in reply
    assert "12345" in reply  # the hotline, from the KB
    await db.later.flush()  # last seen is written after the answer
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(users).where(users.c.user_key == "wx:oNew"))).one()
    assert (row.channel, row.chat_id) == ("wechat", "oNew")


async def test_menu_clicks_show_a_category_or_one_project(wx, holder):
    cats = holder.kb.by_category()
    name, projects = cats[2]
    reply = await wx.send("event_click", openid="oQian", key="cat:2")
    assert reply.startswith(f"【{name}】共{len(projects)}项")
    labels = options(reply)
    assert labels[1] == f"{projects[0].number}. {projects[0].title}"
    # Picking from a clicked list works like picking from an answer.
    assert (await wx.ask("oQian", "1")).startswith(header(holder, projects[0].number))
    reply = await wx.send("event_click", openid="oQian", key="a:9:overview")
    assert reply.startswith(header(holder, 9))


async def test_an_unknown_click_key_falls_back_to_the_categories(wx, holder):
    reply = await wx.send("event_click", openid="oQian", key="no-such-key")
    assert list(options(reply).values()) == [n for n, _ in holder.kb.by_category()]


async def test_a_menu_link_view_event_needs_no_reply(wx):
    assert await wx.send("event_view", openid="oQian") == ""


async def test_subscribing_by_words_and_unfollowing_drops_everything(wx, services, db, holder):
    reply = await wx.ask("oFeng", "订阅万东路的进展")
    assert reply.startswith("已订阅：第9项")
    repo = SubscriptionRepo(db)
    assert await repo.subscriptions("wx:oFeng") == [9]
    assert await repo.recipients(9) == [("wx:oFeng", "wechat", "oFeng")]
    await wx.ask("oFeng", "租房补贴怎么申请")  # leaves options pending

    assert await wx.send("event_unsubscribe", openid="oFeng") == ""  # WeChat shows nothing
    assert await repo.subscriptions("wx:oFeng") == []
    assert await repo.recipients(None) == []
    assert wx.endpoint.responder.turns.options.pick("wx:oFeng", "1") is None  # none pending
    assert services.contexts.get("wx:oFeng").last_project is None
    async with db.engine.connect() as conn:
        left = (await conn.execute(select(users).where(users.c.user_key == "wx:oFeng"))).all()
        kept = await conn.scalar(
            select(func.count())
            .select_from(wechat_replies)
            .where(wechat_replies.c.user_key == "wx:oFeng")
        )
    assert left == [] and kept == 0  # not even the replies kept for WeChat's retries


async def test_unfollowing_also_forgets_the_users_questions(holder, db):
    qlog = QuestionLogRepo(db, secret="test-secret")
    await qlog.start()
    services = services_with_storage(holder, db, question_log=qlog)
    async with running(services, wechat_config(), db) as wx:
        await wx.ask("oLiu", "租房补贴怎么申请")
        await wx.ask("oMa", "医保住院最高报多少")
        assert len(await qlog.questions(SINCE)) == 2
        await wx.send("event_unsubscribe", openid="oLiu")
    assert [q.text for q in await qlog.questions(SINCE)] == ["医保住院最高报多少"]


async def test_every_message_updates_last_seen_for_the_48_hour_window(wx, db):
    await wx.ask("oChen", "你好")
    await db.later.flush()  # last seen is written after the answer
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(users).where(users.c.user_key == "wx:oChen"))).one()
    assert row.active and row.channel == "wechat"


async def test_long_answers_come_in_parts_with_more(holder, db):
    services = services_with_storage(holder, db)
    async with running(services, wechat_config(reply_max_bytes=200), db) as wx:
        parts = [await wx.ask("oYang", "民心工程有哪些")]
        while parts[-1].endswith(MORE_HINT):
            assert len(parts) < 20
            parts.append(await wx.ask("oYang", "更多"))
        assert all(len(p.encode("utf-8")) <= 200 for p in parts)
        assert len(parts) > 2
        text = "\n".join(p.removesuffix("\n" + MORE_HINT) for p in parts)
        for p in holder.kb.projects.values():
            assert f"{p.number}. {p.title}" in text  # nothing lost between the parts
        assert "没有更多内容" in await wx.ask("oYang", "更多")
        # A bare number after the list still picks a project.
        assert (await wx.ask("oYang", "12")).startswith(header(holder, 12))


async def test_a_new_question_replaces_the_pending_parts(holder, db):
    services = services_with_storage(holder, db)
    async with running(services, wechat_config(reply_max_bytes=200), db) as wx:
        assert (await wx.ask("oXu", "民心工程有哪些")).endswith(MORE_HINT)
        assert not (await wx.ask("oXu", "谢谢")).endswith(MORE_HINT)  # a short answer
        assert "没有更多内容" in await wx.ask("oXu", "更多")
