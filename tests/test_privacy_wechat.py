"""WeChat, over real signed XML: the first-contact notice on following, 有用/没用 as numbered
options picked by typing the number, and 删除我的记录 typed as text."""

from __future__ import annotations

import datetime as dt

import pytest
from test_privacy_session import FIRST, privacy_check
from test_wechat_dialogue import options
from wechat_support import running, services_with_storage, wechat_config

from bot.app import forget_everywhere
from bot.storage.db import utcnow
from bot.storage.feedback import FeedbackRepo
from bot.storage.qlog import QuestionLogRepo
from bot.storage.subscriptions import SubscriptionRepo


@pytest.fixture
async def wx(holder, db):
    services = services_with_storage(holder, db)
    services.question_log = QuestionLogRepo(db, secret="s")
    await services.question_log.start()
    services.feedback = FeedbackRepo(db)
    services.forget = forget_everywhere(services, db)
    async with running(services, wechat_config(), db) as fake:
        fake.services = services
        yield fake


async def test_follow_notice_feedback_by_number_and_delete_by_text(wx, db):
    hello = await wx.send("event_subscribe", openid="oPriv")
    assert FIRST in hello
    answer = await wx.ask("oPriv", "租房补贴怎么申请")
    assert FIRST not in answer  # shown once
    picks = {label: n for n, label in options(answer).items()}
    assert {"有用", "没用"} <= set(picks) and len(picks) <= 5
    sorry = await wx.ask("oPriv", str(picks["没用"]))
    assert sorry.startswith("抱歉没能帮上忙，已记下这条回答，工作人员会改进。")
    [fb] = await wx.services.feedback.feedback(utcnow() - dt.timedelta(hours=1))
    assert (fb.project, fb.intent, fb.helpful, fb.channel) == (7, "apply", False, "wechat")

    await wx.ask("oPriv", "我要投诉，我电话13812345678，住5号楼3单元502室")
    await wx.ask("oPriv", "订阅租房补贴的进展")
    assert await SubscriptionRepo(db).subscriptions("wx:oPriv") != []
    bye = await wx.ask("oPriv", "删除我的记录")
    assert bye.startswith("已删除您在民心通的全部数据（订阅、对话记录）。")
    assert await SubscriptionRepo(db).subscriptions("wx:oPriv") == []
    assert await wx.services.question_log.questions(utcnow() - dt.timedelta(hours=1)) == []
    # Stored replies (dedupe), questions, notices: nothing of the person is left.
    needles = ["oPriv", "13812345678", "5号楼3单元502室"]
    assert await privacy_check.grep_database(db.url, needles) == []
