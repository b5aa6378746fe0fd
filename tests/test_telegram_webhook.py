"""Webhook mode: Telegram POSTs updates to our aiohttp server, which checks the secret token."""

from __future__ import annotations

import aiohttp
import pytest
from tgharness import config_for, free_port, running_bot
from tgupdates import callback_update, next_update_id, text_update

RESIDENT = 42
SECRET = "s3cret-Token_for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def hook(api, holder, tmp_path):
    port = free_port()
    config = config_for(
        api,
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        mode="webhook",
        webhook={
            "url": "https://minxin.example.org/telegram/hook",
            "listen": "127.0.0.1",
            "port": port,
            "path": "/telegram/hook",
            "secret_token": SECRET,
        },
    )
    async with running_bot(api, holder, config) as bot, aiohttp.ClientSession() as http:
        yield bot, http, f"http://127.0.0.1:{port}/telegram/hook"


def posted(update: dict) -> dict:
    return {"update_id": next_update_id(), **update}


async def test_start_up_sets_the_webhook_with_the_secret_and_does_not_poll(hook, api):
    [call] = api.of("setWebhook")
    assert call.params == {
        "url": "https://minxin.example.org/telegram/hook",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert not api.of("getUpdates")


async def test_a_resident_is_answered_through_the_webhook(hook, api):
    bot, http, url = hook
    resp = await http.post(
        url, json=posted(text_update(RESIDENT, "/start")), headers={HEADER: SECRET}
    )
    assert resp.status == 200
    [welcome] = await api.wait_for("sendMessage", 1, chat_id=RESIDENT)
    assert welcome.params["text"].startswith("您好！我是民心通")
    press = posted(callback_update(RESIDENT, "a:7:apply", welcome.result))
    resp = await http.post(url, json=press, headers={HEADER: SECRET})
    assert resp.status == 200
    [ack] = await api.wait_for("answerCallbackQuery", 1)
    assert ack.params == {"callback_query_id": press["callback_query"]["id"]}
    [_, answer] = await api.wait_for("sendMessage", 2, chat_id=RESIDENT)
    assert answer.params["text"].startswith("【第7项")


@pytest.mark.parametrize(
    "headers", [{HEADER: "wrong-secret"}, {}, {HEADER: SECRET + "x"}, {HEADER: SECRET[:-1]}]
)
async def test_a_post_without_the_right_secret_is_refused(hook, api, headers):
    bot, http, url = hook
    resp = await http.post(url, json=posted(text_update(RESIDENT, "/start")), headers=headers)
    assert resp.status == 403
    # Nothing was queued: the next genuine update is the first and only one answered.
    await http.post(url, json=posted(text_update(RESIDENT, "/help")), headers={HEADER: SECRET})
    [reply] = await api.wait_for("sendMessage", 1, chat_id=RESIDENT)
    assert reply.params["text"].startswith("我能回答")
    assert len(api.of("sendMessage")) == 1


@pytest.mark.parametrize("body", [b"not json", b"null", b"[1, 2]", b'{"message": {}}'])
async def test_an_unreadable_body_is_a_400_and_the_bot_keeps_serving(hook, api, body):
    bot, http, url = hook
    resp = await http.post(url, data=body, headers={HEADER: SECRET})
    assert resp.status == 400
    await http.post(url, json=posted(text_update(RESIDENT, "/help")), headers={HEADER: SECRET})
    [reply] = await api.wait_for("sendMessage", 1, chat_id=RESIDENT)
    assert reply.params["text"].startswith("我能回答")


async def test_the_shared_web_server_answers_health_checks(hook):
    bot, http, url = hook
    resp = await http.get(url.replace("/telegram/hook", "/healthz"))
    assert resp.status == 200 and await resp.text() == "ok"


async def test_the_same_update_id_twice_is_answered_once(hook, api):
    bot, http, url = hook
    update = posted(text_update(RESIDENT, "/help"))
    for _ in range(2):  # a webhook retry, or a second instance given the same update
        resp = await http.post(url, json=update, headers={HEADER: SECRET})
        assert resp.status == 200
    await http.post(url, json=posted(text_update(RESIDENT, "/list")), headers={HEADER: SECRET})
    [_, menu] = await api.wait_for("sendMessage", 2, chat_id=RESIDENT)
    assert menu.params["text"] == "河东区2023年20项民心工程，请选择类别："
    texts = [c.params["text"] for c in api.of("sendMessage")]
    assert len(texts) == 2 and texts[0].startswith("我能回答")  # /help once, then /list
