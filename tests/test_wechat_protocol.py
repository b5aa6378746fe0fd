"""WeChat's message-server protocol over real HTTP: verification, passive replies, safe mode,
and everything a hostile caller might send."""

from __future__ import annotations

import time

import pytest
from wechat_support import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    TOKEN,
    aes_decrypt,
    field,
    message_xml,
    running,
    services_with_storage,
    sha1_signature,
    wechat_config,
)


@pytest.fixture
async def wx(holder, db):
    async with running(services_with_storage(holder, db), wechat_config(), db) as fake:
        yield fake


@pytest.fixture
async def wx_safe(holder, db):
    config = wechat_config(encoding_aes_key=AES_KEY)
    async with running(services_with_storage(holder, db), config, db) as fake:
        yield fake


def project_header(holder, number: int) -> str:
    return f"【第{number}项 {holder.kb.project(number).title}】"


async def test_url_verification_echoes_echostr(wx):
    params = wx.signed_query()
    params["echostr"] = "7319836521893762015"
    assert await wx.get(params) == (200, "7319836521893762015")


async def test_url_verification_with_a_wrong_signature_is_forbidden(wx):
    params = wx.signed_query()
    params.update(echostr="7319836521893762015", signature="0" * 40)
    status, text = await wx.get(params)
    assert status == 403
    assert "7319836521893762015" not in text


async def test_url_verification_without_parameters_is_forbidden(wx):
    assert (await wx.get({}))[0] == 403


async def test_a_text_question_gets_a_passive_reply_with_to_and_from_swapped(wx, holder):
    status, reply = await wx.post(
        message_xml("text", openid="oResident01", content="租房补贴怎么申请")
    )
    assert status == 200
    assert field(reply, "ToUserName") == "oResident01"
    assert field(reply, "FromUserName") == ACCOUNT
    assert field(reply, "MsgType") == "text"
    assert abs(int(field(reply, "CreateTime")) - time.time()) < 600
    content = field(reply, "Content")
    assert content.startswith(project_header(holder, 7))
    assert "回复 1 条件" in content  # buttons become numbered options


async def test_safe_mode_round_trip(wx_safe, holder):
    xml = message_xml("text", openid="oResident02", content="医保住院最高报多少")
    status, body = await wx_safe.post_encrypted(xml, nonce="1320562132")
    assert status == 200
    # The reply is encrypted too, signed with the documented scheme over our token.
    encrypted = field(body, "Encrypt")
    assert field(body, "Nonce") == "1320562132"
    expected = sha1_signature(TOKEN, field(body, "TimeStamp"), "1320562132", encrypted)
    assert field(body, "MsgSignature") == expected
    inner, app_id = aes_decrypt(encrypted)
    assert app_id == APP_ID
    assert field(inner, "ToUserName") == "oResident02"
    assert field(inner, "FromUserName") == ACCOUNT
    assert field(inner, "Content").startswith(project_header(holder, 5))


async def test_safe_mode_with_a_wrong_msg_signature_is_forbidden(wx_safe):
    xml = message_xml("text", openid="oResident02", content="你好")
    params = wx_safe.signed_query()
    params.update(encrypt_type="aes", msg_signature="f" * 40)
    body = "<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>"
    assert (await wx_safe.post(body, params))[0] == 403
    assert (await wx_safe.post(xml, params))[0] in (400, 403)


async def test_encrypted_message_to_a_plaintext_endpoint_is_refused(wx):
    status, _ = await wx.post_encrypted(message_xml("text", openid="o1", content="你好"))
    assert status == 400


async def test_a_bad_signature_is_forbidden_and_not_answered(wx):
    params = wx.signed_query()
    params["signature"] = sha1_signature("not-our-token", params["timestamp"], params["nonce"])
    status, text = await wx.post(message_xml("text", openid="oMallory", content="你好"), params)
    assert status == 403
    assert "<xml>" not in text


async def test_a_stale_timestamp_is_forbidden_even_when_signed_correctly(wx):
    params = wx.signed_query(timestamp=int(time.time()) - 3600)  # an hour-old replay
    status, _ = await wx.post(message_xml("text", openid="oMallory", content="你好"), params)
    assert status == 403
    params = wx.signed_query(timestamp=int(time.time()) + 3600)  # or from the future
    assert (await wx.post(message_xml("text", openid="oMallory", content="你好"), params))[0] == 403


async def test_a_timestamp_changed_after_signing_is_forbidden(wx):
    params = wx.signed_query()
    params["timestamp"] = str(int(params["timestamp"]) - 1)
    assert (await wx.post(message_xml("text", openid="oMallory", content="你好"), params))[0] == 403


async def test_an_xml_bomb_is_refused_and_the_server_keeps_answering(wx, caplog):
    status, text = await wx.post(message_xml("xml_bomb", openid="oMallory"))
    assert status == 400
    assert text == "bad request"
    assert "forbidden XML construct" in caplog.text
    assert await wx.ask("oResident03", "你好")  # still serving


async def test_an_external_entity_is_never_resolved(wx):
    status, text = await wx.post(message_xml("xxe", openid="oMallory"))
    assert status == 400
    assert "root:" not in text


async def test_a_one_mebibyte_body_is_refused_before_parsing(wx):
    body = message_xml("text", openid="oMallory", content="长" * (1024 * 1024 // 3))
    status, _ = await wx.post(body)
    assert status == 413
    assert await wx.ask("oResident03", "你好")


async def test_a_chunked_body_over_the_limit_is_refused(wx):
    async def chunks():
        for _ in range(70):
            yield b"<!-- " + b"x" * 1024 + b" -->"

    status, _ = await wx.post(chunks())
    assert status == 413


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<xml><ToUserName>a</ToUserName>",  # truncated
        b"<root><MsgType>text</MsgType></root>",  # not WeChat's <xml> root
        b"<xml><FromUserName>o1</FromUserName></xml>",  # no MsgType
        "<xml><MsgType>text</MsgType><FromUserName>o1</FromUserName><MsgId>x</MsgId></xml>".encode(
            "utf-16"
        ),
    ],
)
async def test_malformed_xml_is_a_400_without_a_traceback(wx, body, caplog):
    status, text = await wx.post(body)
    assert status == 400
    assert text == "bad request"
    assert "Traceback" not in caplog.text
    assert "refused (400)" in caplog.text


def test_reply_text_with_cdata_terminators_stays_well_formed():
    from xml.etree import ElementTree as ET

    from wechatpy.replies import TextReply

    from bot.channels.wechat.protocol import cdata_safe

    text = "a]]><MsgType>image</MsgType>\x01b"
    xml = TextReply(source="gh", target="o1", content=cdata_safe(text)).render()
    assert ET.fromstring(xml).find("Content").text == "a]]><MsgType>image</MsgType>b"
    assert ET.fromstring(xml).find("MsgType").text == "text"


@pytest.mark.parametrize(
    "text",
    [
        "租房补贴怎么申请？\n回复 1 有用",
        "",
        "a]]><MsgType>image</MsgType>\x01b",
        "😀 <&> '\"",
        "x" * 2000,
    ],
)
def test_passive_reply_is_what_wechatpy_renders(text):
    from wechatpy import parse_message
    from wechatpy.replies import TextReply

    from bot.channels.wechat.protocol import cdata_safe, text_reply

    message = parse_message(message_xml("text", openid="o_resident-1", content="你好", msg_id=42))
    safe, at = cdata_safe(text), int(time.time())
    assert (
        text_reply(message, safe, at) == TextReply(message=message, content=safe, time=at).render()
    )
