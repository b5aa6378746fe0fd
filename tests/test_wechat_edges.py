"""Validly signed WeChat requests that used to get a 500 or another message's reply: a GBK
body, an absurd timestamp, two no-MsgId questions in one second, an oversized FromUserName."""

from __future__ import annotations

import time

from sqlalchemy import select
from wechat_support import (
    ACCOUNT,
    field,
    message_xml,
    running,
    services_with_storage,
    sha1_signature,
    wechat_config,
)

from bot.storage.wechat import WeChatDedupe, wechat_replies

HOUSING, ROADS = "【第7项 提高住房保障水平】", "【第9项 建设城市市政道路】"


def no_msgid_text(openid: str, content: str, create_time: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content></xml>"
    )


async def test_a_gbk_body_is_a_400_and_the_endpoint_keeps_answering(holder, db):
    xml = message_xml("text", openid="oGbk", content="租房补贴怎么申请")
    body = ('<?xml version="1.0" encoding="GBK"?>' + xml).encode("gbk")
    async with running(services_with_storage(holder, db), wechat_config(), db) as wx:
        assert await wx.post(body) == (400, "bad request")
        assert (await wx.ask("oGbk", "租房补贴怎么申请")).startswith(HOUSING)


async def test_a_401_digit_timestamp_is_forbidden_even_when_signed(holder, db):
    ts, nonce = "9" * 401, "n1"
    params = {
        "timestamp": ts,
        "nonce": nonce,
        "signature": sha1_signature("minxin-test-token", ts, nonce),
    }
    async with running(services_with_storage(holder, db), wechat_config(), db) as wx:
        status, _ = await wx.post(message_xml("text", openid="oTs", content="你好"), params)
        assert status == 403
        assert (await wx.get(params))[0] == 403


async def test_two_no_msgid_questions_in_one_second_get_their_own_answers(holder, db):
    now = int(time.time())
    async with running(services_with_storage(holder, db), wechat_config(), db) as wx:
        s1, first = await wx.post(no_msgid_text("oNoId", "租房补贴怎么申请", now))
        s2, second = await wx.post(no_msgid_text("oNoId", "万东路修好了吗", now))
        s3, retry = await wx.post(no_msgid_text("oNoId", "租房补贴怎么申请", now))
    assert (s1, s2, s3) == (200, 200, 200)
    assert field(first, "Content").startswith(HOUSING)
    assert field(second, "Content").startswith(ROADS)
    assert retry == first  # a retry, byte for byte the same, still gets the first reply


async def test_an_oversized_from_user_name_is_a_400_and_others_are_answered(holder, db):
    async with running(services_with_storage(holder, db), wechat_config(), db) as wx:
        status, text = await wx.post(message_xml("text", openid="o" * 200, content="你好"))
        assert (status, text) == (400, "bad request")
        assert (await wx.ask("oNormal", "租房补贴怎么申请")).startswith(HOUSING)


async def test_one_bad_row_in_a_batch_does_not_drop_the_other_users_replies(db):
    store = WeChatDedupe(db)
    for i in range(3):
        store.remember(f"m:{i}", f"wx:o{i}", f"reply {i}")
    store.remember("m:bad", "wx:" + "o" * 200, "too long a key for varchar(128)")
    for i in range(3, 6):
        store.remember(f"m:{i}", f"wx:o{i}", f"reply {i}")
    await store.flush()
    async with db.engine.connect() as conn:
        stored = dict(
            (await conn.execute(select(wechat_replies.c.key, wechat_replies.c.reply))).all()
        )
    assert {k: v for k, v in stored.items() if k != "m:bad"} == {
        f"m:{i}": f"reply {i}" for i in range(6)
    }
    if not db.is_sqlite:  # PostgreSQL enforces varchar(128); SQLite stores it anyway
        assert "m:bad" not in stored
