"""Subscriptions and /forget through Telegram, kept in the database across restarts.

Runs on every engine of the `db` fixture (SQLite file; PostgreSQL when TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import datetime as dt

from tgharness import config_for, keyboard, rows_of, running_bot, sent

from bot.storage.subscriptions import SubscriptionRepo
from handlers import browse

RESIDENT = 42
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


async def test_subscriptions_survive_restarts(api, holder, db):
    config = config_for(api, db.url)
    kb = holder.kb
    async with running_bot(api, holder, config) as bot:
        [first] = await bot.say(RESIDENT, "/subscribe 万东路")
        assert first.params == sent(
            RESIDENT,
            f"已订阅：第9项 {kb.project(9).title}。有新进展会通知您。",
            [[("取消订阅", "unsub:9"), ("我的订阅", "mysubs")]],
        )
        [second] = await bot.say(RESIDENT, "订阅租房补贴的进展")  # plain words work too
        assert second.params["text"] == f"已订阅：第7项 {kb.project(7).title}。有新进展会通知您。"

    async with running_bot(api, holder, config) as bot:  # a new Application, same database
        [mine] = await bot.say(RESIDENT, "/mysubs")
        assert mine.params == sent(
            RESIDENT,
            f"您的订阅：\n· 第7项 {kb.project(7).title}\n· 第9项 {kb.project(9).title}",
            [
                [(f"取消 第7项 {kb.project(7).title}", "unsub:7")],
                [(f"取消 第9项 {kb.project(9).title}", "unsub:9")],
            ],
        )
        [gone] = await bot.say(RESIDENT, "/unsubscribe 9")
        assert gone.params["text"] == f"已取消：第9项 {kb.project(9).title}。不会再收到相关通知。"

    async with running_bot(api, holder, config) as bot:
        [mine] = await bot.say(RESIDENT, "/mysubs")
        assert mine.params["text"] == f"您的订阅：\n· 第7项 {kb.project(7).title}"

    # The broadcast side can reach the resident in the private chat they wrote from.
    repo = SubscriptionRepo(db)
    assert await repo.recipients(7) == [("tg:42", "telegram", "42")]
    assert await repo.recipients(9) == []


async def test_subscribe_buttons_and_all_projects(api, holder, db):
    async with running_bot(api, holder, config_for(api, db.url)) as bot:
        [ask] = await bot.say(RESIDENT, "/subscribe")
        assert ask.params == sent(
            RESIDENT,
            "订阅哪个项目的进展？",
            [[("订阅全部项目", "sub:all")], [("按类别选择项目", "cats")]],
        )
        [done] = await bot.press(RESIDENT, "sub:all", on=ask)
        assert done.params["text"] == "已订阅：全部项目。有新进展会通知您。"
        [again] = await bot.say(RESIDENT, "/subscribe 全部")
        assert again.params["text"] == "您已订阅过：全部项目。"
        [off] = await bot.press(RESIDENT, "unsub:all", on=done)
        assert off.params["text"] == "已取消：全部订阅。不会再收到相关通知。"
        [none] = await bot.say(RESIDENT, "/unsubscribe")
        assert none.params == sent(RESIDENT, "您没有这项订阅。", [[("我的订阅", "mysubs")]])
    assert await SubscriptionRepo(db).subscriptions("tg:42") == []


async def test_forget_deletes_everything_about_the_user(api, holder, db):
    repo = SubscriptionRepo(db)
    async with running_bot(api, holder, config_for(api, db.url)) as bot:
        await bot.say(RESIDENT, "/subscribe 5")
        await bot.say(RESIDENT, "医保住院最高报多少")  # the dialogue now remembers project 5
        assert bot.services.contexts.get("tg:42").last_project == 5
        await bot.say(77, "/subscribe 5")  # another resident, who stays
        await bot.say(77, "租房补贴怎么申请")
        qlog = bot.services.question_log
        mine, theirs = await qlog.key("tg:42"), await qlog.key("tg:77")
        asked = [q.user_hash for q in await qlog.questions(EPOCH)]
        assert asked.count(mine) == 1 and asked.count(theirs) == 1

        [bye] = await bot.say(RESIDENT, "/forget")
        assert bye.params == sent(
            RESIDENT, "已删除您在民心通的全部数据（订阅、对话记录）。以后仍可随时提问。"
        )
        assert await repo.subscriptions("tg:42") == []
        assert bot.services.contexts.get("tg:42").last_project is None
        assert await repo.recipients(5) == [("tg:77", "telegram", "77")]
        assert [q.user_hash for q in await qlog.questions(EPOCH)] == [theirs]

        # Context is gone: a follow-up no longer knows which project was meant.
        [which] = await bot.say(RESIDENT, "那怎么申请")
        assert which.params["text"].startswith("您问的是哪个项目？")
        # And writing again makes the resident reachable again, with nothing subscribed.
        [mine] = await bot.say(RESIDENT, "/mysubs")
        assert mine.params == sent(
            RESIDENT, "您还没有订阅任何项目的进展。", [[("订阅全部项目", "sub:all")]]
        )


async def test_words_that_name_no_project_subscribe_nothing(api, holder, db):
    repo = SubscriptionRepo(db)
    categories = rows_of(browse.categories(holder.kb))
    async with running_bot(api, holder, config_for(api, db.url)) as bot:
        [reply] = await bot.say(RESIDENT, "/subscribe 火星基地")
        assert reply.params["text"].startswith("没找到“火星基地”对应的项目。")
        offered = reply.params["reply_markup"]["inline_keyboard"]
        assert offered[-len(categories) :] == keyboard(categories)
        assert await repo.subscriptions("tg:42") == []  # never subscribed on a guess
        [bad] = await bot.say(RESIDENT, "/subscribe 99")
        assert bad.params["text"] == "没有这个项目编号。"
        [nothing] = await bot.say(RESIDENT, "/subscribe 护照")
        assert nothing.params == sent(
            RESIDENT, "没找到“护照”对应的项目。请按类别选择：", categories
        )
