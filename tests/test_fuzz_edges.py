"""Hostile WeChat and Telegram inputs interleaved with residents' questions, over real HTTP:
no response is a 5xx, and every resident still gets the right answer. Seeded, bounded."""

from __future__ import annotations

import copy
import json
import random
import time

import aiohttp
import pytest
from tgharness import config_for, free_port, running_bot
from tghostile import hostile_updates
from tgupdates import next_update_id, text_update
from wechat_support import (
    TOKEN,
    field,
    message_xml,
    running,
    services_with_storage,
    sha1_signature,
    wechat_config,
)

SEED = 20261201
QUESTIONS = {  # what a resident asks -> how the right answer begins
    "租房补贴怎么申请": "【第7项 提高住房保障水平】\n租房补贴申请审核：",
    "万东路修好了吗": "【第9项 建设城市市政道路】\n2023年计划完成万东路",
    "失业金哪天开始涨": "【第1项 综合施策推动就业】\n自2023年7月1日起提高失业保险待遇标准",
}
WECHAT_ROUNDS, TELEGRAM_ROUNDS = 240, 160
SECRET, HEADER = "fuzz-secret", "X-Telegram-Bot-Api-Secret-Token"


def hostile_wechat(rng: random.Random) -> tuple[bytes, dict]:
    """(body, query) of one hostile request; mostly validly signed."""
    ts = str(int(time.time()))
    nonce = f"n{rng.randrange(10**9)}"
    good = {"timestamp": ts, "nonce": nonce, "signature": sha1_signature(TOKEN, ts, nonce)}
    xml = message_xml("text", openid=f"oFuzz{rng.randrange(50)}", content="你好")
    kind = rng.randrange(12)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))), good
    if kind == 1:
        return ('<?xml version="1.0" encoding="GBK"?>' + xml).encode("gbk"), good
    if kind == 2:
        huge = "9" * rng.choice([13, 40, 401])
        return xml.encode(), {
            **good,
            "timestamp": huge,
            "signature": sha1_signature(TOKEN, huge, nonce),
        }
    if kind == 3:
        return xml.replace("oFuzz", "o" * rng.choice([65, 200, 5000])).encode(), good
    if kind == 4:
        return xml.replace("<MsgId>", "<MsgId>" + "7" * 300).encode(), good
    if kind == 5:
        return xml.encode(), {**good, "signature": "0" * 40}
    if kind == 6:
        return xml.encode(), {**good, "encrypt_type": "aes", "msg_signature": "x"}
    if kind == 7:
        return ("<xml>" + "<a>" * 500 + "</a>" * 500 + "</xml>").encode(), good
    if kind == 8:
        return xml.replace("<MsgType><![CDATA[text]]></MsgType>", "").encode(), good
    if kind == 9:  # invalid UTF-8 where the text belongs, and a negative CreateTime
        bad = xml.replace("<CreateTime>", "<CreateTime>-").encode()
        return bad.replace("你好".encode(), b"\xff\xfe\xc0"), good
    if kind == 10:
        mutated = xml.replace("text", rng.choice(["event", "image", "voice", "link", "??", ""]))
        return mutated.encode(), good
    return xml.encode()[: rng.randrange(1, len(xml))], good


def mutate(rng: random.Random, update: dict) -> dict:
    """A Telegram update with one field replaced by a value of the wrong type."""
    u = copy.deepcopy(update)
    target = u.get("message") or u.get("callback_query") or u
    key = rng.choice(list(target))
    target[key] = rng.choice([None, 2**70, -1, "", "x" * 5000, [], {}, True, 3.5])
    return u


@pytest.fixture
async def wx(holder, db):
    async with running(services_with_storage(holder, db), wechat_config(), db) as fake:
        yield fake


async def test_hostile_wechat_requests_between_questions(wx):
    rng = random.Random(SEED)
    statuses, wrong = [], []
    for i in range(WECHAT_ROUNDS):
        body, query = hostile_wechat(rng)
        statuses.append((await wx.post(body, query))[0])
        if i % 4 == 0:
            question = rng.choice(list(QUESTIONS))
            status, reply = await wx.post(message_xml("text", openid=f"oRes{i}", content=question))
            statuses.append(status)
            if status != 200 or not field(reply, "Content").startswith(QUESTIONS[question]):
                wrong.append((question, status, reply[:80]))
    assert [s for s in statuses if s >= 500] == []
    assert wrong == []
    assert {400, 403} <= set(statuses)  # the hostile ones were refused, not answered


async def test_hostile_telegram_updates_between_questions(api, holder, tmp_path):
    rng = random.Random(SEED)
    port = free_port()
    config = config_for(
        api,
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        mode="webhook",
        webhook={"url": "https://minxin.example.org/hook", "listen": "127.0.0.1",
                 "port": port, "path": "/hook", "secret_token": SECRET},
    )  # fmt: skip
    url, asked, statuses = f"http://127.0.0.1:{port}/hook", {}, []
    shapes = hostile_updates(7000)
    async with running_bot(api, holder, config), aiohttp.ClientSession() as http:
        for i in range(TELEGRAM_ROUNDS):
            pick = rng.randrange(4)
            if pick == 0:
                body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            elif pick == 1:
                body = json.dumps(
                    {"update_id": next_update_id(), **mutate(rng, rng.choice(shapes))}
                )
            else:
                body = json.dumps({"update_id": next_update_id(), **rng.choice(shapes)})
            async with http.post(url, data=body, headers={HEADER: SECRET}) as r:
                statuses.append(r.status)
            if i % 4 == 0:
                user, question = 8000 + i, rng.choice(list(QUESTIONS))
                asked[user] = question
                update = {"update_id": next_update_id(), **text_update(user, question)}
                async with http.post(url, json=update, headers={HEADER: SECRET}) as r:
                    statuses.append(r.status)
        for user, question in asked.items():
            [reply] = await api.wait_for("sendMessage", 1, timeout=30, chat_id=user)
            assert reply.params["text"].startswith(QUESTIONS[question]), (question, reply.params)
    assert [s for s in statuses if s >= 500] == []
    assert "抱歉，出了点问题" not in " ".join(api.texts())
