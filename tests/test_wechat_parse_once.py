"""A WeChat message is parsed once: the tree our defused parser read becomes wechatpy's message
object itself, the same object wechatpy's own parser makes from the same XML."""

from __future__ import annotations

import pytest
from wechat_support import FIXTURES, message_xml
from wechatpy import parse_message

from bot.channels.wechat.protocol import Refused, message_of, parse_tree

MESSAGES = sorted(p.stem for p in FIXTURES.glob("*.xml") if p.stem not in ("xml_bomb", "xxe"))


@pytest.mark.parametrize("fixture", MESSAGES)
def test_every_recorded_message_reads_as_wechatpy_reads_it(fixture):
    xml = message_xml(fixture, openid="oParse", content="  租房补贴 怎么申请 ", msg_id="42")
    ours, theirs = message_of(parse_tree(xml.encode()), xml.encode()), parse_message(xml)
    assert type(ours) is type(theirs)
    assert ours._data == theirs._data
    assert (ours.source, ours.type, ours.id) == (theirs.source, theirs.type, theirs.id)


def test_text_is_stripped_and_empty_fields_are_none_as_wechatpy_gives_them():
    xml = (
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName>oP</FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType>text</MsgType>"
        "<Content><![CDATA[  你好\n]]></Content><MsgId></MsgId></xml>"
    )
    ours, theirs = message_of(parse_tree(xml), xml), parse_message(xml)
    assert ours.content == theirs.content == "你好"
    assert ours._data["MsgId"] is theirs._data["MsgId"] is None


def test_nested_or_repeated_elements_go_through_wechatpy():
    xml = (
        "<xml><FromUserName>oP</FromUserName><MsgType>text</MsgType><Content>a</Content>"
        "<Content>b</Content><Extra><Inner>1</Inner></Extra></xml>"
    )
    assert message_of(parse_tree(xml), xml)._data == parse_message(xml)._data


def test_xml_that_is_not_utf8_is_refused_as_before():
    xml = "<xml><MsgType>text</MsgType><FromUserName>o1</FromUserName></xml>".encode("utf-16")
    with pytest.raises(Refused):
        message_of(parse_tree(xml), xml)
