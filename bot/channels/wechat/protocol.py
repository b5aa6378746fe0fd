"""WeChat message-server protocol: signatures, replay window, body limit, safe XML, AES mode."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.messages import MESSAGE_TYPES
from wechatpy.replies import TextReply

from bot import regexcache

MAX_BODY = 64 * 1024  # WeChat's messages are a few hundred bytes; anything bigger is not WeChat
# openids are 28 characters, account ids ~15, MsgIds 64-bit numbers: anything longer is not
# WeChat, and would not fit the 128-character keys it is stored under.
MAX_ID = 64
ID_FIELDS = ("FromUserName", "ToUserName", "MsgId", "CreateTime")
MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 need 10 for centuries to come
_DECLARED = regexcache.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']{1,40})[\"']", re.I)


class Refused(Exception):
    """A request we will not serve; `status` is the HTTP answer, the message goes to the log."""

    status = 400


class Forbidden(Refused):
    status = 403


class TooLarge(Refused):
    status = 413


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the parts sorted and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(given: str | None, *parts: str) -> None:
    """Constant-time comparison (wechatpy's check_signature uses ==)."""
    expected = sign(*parts).encode("ascii")
    if not given or not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
        raise Forbidden("bad signature")


def check_fresh(timestamp: str | None, window: int, now: float | None = None) -> None:
    """Refuse replays: the signed timestamp must be within `window` seconds of now."""
    text = (timestamp or "").strip()
    if len(text) > MAX_TIMESTAMP_DIGITS:  # int() takes it, float arithmetic overflows
        raise Forbidden(f"timestamp of {len(text)} digits")
    try:
        ts = int(text)
    except ValueError:
        raise Forbidden(f"timestamp not a number: {timestamp!r:.40}") from None
    skew = abs((time.time() if now is None else now) - ts)
    if skew > window:
        raise Forbidden(f"timestamp {skew:.0f} s outside the {window} s window")


def parse_xml(body: bytes | str) -> dict[str, str]:
    """XML -> {tag: text} of the root's children; DTDs, entities and external refs refused."""
    return fields_of(parse_tree(body))


def fields_of(root: ET.Element) -> dict[str, str]:
    return {child.tag: (child.text or "") for child in root}


def parse_tree(body: bytes | str) -> ET.Element:
    """The <xml> root of a message; DTDs, entities and external refs refused."""
    if isinstance(body, bytes):
        declared = _DECLARED.match(body[:200])
        if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            # WeChat sends UTF-8; expat cannot read multi-byte encodings such as GBK at all
            raise Refused(f"XML declares encoding {declared.group(1)[:40]!r}, not UTF-8")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise Refused(f"forbidden XML construct: {type(e).__name__}") from None
    except ET.ParseError as e:
        raise Refused(f"malformed XML: {e}") from None
    except (ValueError, LookupError) as e:  # an encoding expat or Python does not know
        raise Refused(f"unreadable XML encoding: {e}") from None
    if root.tag != "xml":
        raise Refused(f"root element is <{root.tag[:40]}>, not <xml>")
    return root


# Characters XML 1.0 cannot carry at all; a reply containing one would be rejected by WeChat.
_XML_INVALID = regexcache.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata_safe(text: str) -> str:
    """Make text safe inside wechatpy's <![CDATA[...]]>: drop invalid chars, split ']]>'."""
    return _XML_INVALID.sub("", text).replace("]]>", "]]]]><![CDATA[>")


# wechatpy's TextReply.render(), field for field: MsgType, then its fields in their order
# (Content, FromUserName, ToUserName, CreateTime). Building the reply object and rendering it
# field by field cost more than the string (tests/test_wechat_protocol.py compares them).
_TEXT_REPLY = (
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{content}]]></Content>\n"
    "<FromUserName><![CDATA[{source}]]></FromUserName>\n<ToUserName><![CDATA[{target}]]>"
    "</ToUserName>\n<CreateTime>{time}</CreateTime>\n</xml>"
)


def text_reply(message, content: str, at: int) -> str:
    """The passive text reply to `message` (From and To swapped), `content` already safe
    (cdata_safe), as wechatpy's TextReply renders it."""
    source, target = message.target, message.source
    if not (isinstance(source, str) and isinstance(target, str) and isinstance(content, str)):
        return TextReply(message=message, content=content, time=at).render()
    return _TEXT_REPLY.format(content=content, source=source, target=target, time=int(at))


def message_of(root: ET.Element, xml: bytes | str):
    """wechatpy's message object, from the tree already parsed when the message is flat (every
    text, voice, image… message): wechatpy's parser would read the same XML a second time with
    xmltodict. Events (wechatpy derives their classes) and anything nested, repeated or with
    attributes still go through wechatpy's own parser (as does XML that is not UTF-8, which
    that parser refuses)."""
    if isinstance(xml, bytes) and not _is_utf8(xml):
        return parse_wechat_message(xml)
    data = {}
    for child in root:
        if len(child) or child.attrib or child.tag in data:
            return parse_wechat_message(xml)
        text = (child.text or "").strip()  # as xmltodict gives it: stripped, empty is None
        data[child.tag] = text or None
    kind = (data.get("MsgType") or "").lower()
    if root.attrib or kind == "event" or kind.startswith("device_") or kind not in MESSAGE_TYPES:
        return parse_wechat_message(xml)
    return MESSAGE_TYPES[kind](data)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_wechat_message(xml: bytes | str):
    """wechatpy's message object (the XML has already passed the defused parser)."""
    try:
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        return parse_message(text)
    except Exception as e:  # wechatpy raises whatever xmltodict or its fields raise
        raise Refused(f"wechatpy cannot read the message: {type(e).__name__}") from None


def check_ids(fields: dict[str, str]) -> None:
    """Refuse ids no WeChat message has (they would not fit the columns they are stored in)."""
    for name in ID_FIELDS:
        if len(fields.get(name, "")) > MAX_ID:
            raise Refused(f"{name} of {len(fields[name])} characters")


def dedupe_key(fields: dict[str, str]) -> str:
    """Messages by MsgId; without one, by sender, CreateTime and a hash of the content.

    A retry repeats the message byte for byte, so the hash is the same; two different questions
    sent in the same second (which share sender and CreateTime) are two messages."""
    msg_id = fields.get("MsgId", "").strip()
    if msg_id:
        key = f"m:{msg_id}"
    else:
        content = "\x1f".join(f"{k}={v}" for k, v in sorted(fields.items()))
        digest = hashlib.sha256(content.encode("utf-8", "replace")).hexdigest()[:32]
        key = ":".join(["e", fields.get("FromUserName", ""), fields.get("CreateTime", ""), digest])
    if len(key) > 128:
        key = "h:" + hashlib.sha256(key.encode()).hexdigest()
    return key


class SafeMode:
    """AES ('safe') mode: decrypt requests and encrypt replies with the EncodingAESKey."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str):
        self.token = token
        self.app_id = app_id
        self.crypto = WeChatCrypto(token, encoding_aes_key, app_id)

    def decrypt(self, outer: dict[str, str], msg_signature: str | None, timestamp, nonce) -> str:
        """The inner XML of an encrypted request, after checking msg_signature."""
        encrypted = outer.get("Encrypt")
        if not encrypted:
            raise Refused("safe mode request without <Encrypt>")
        check_signature(msg_signature, self.token, timestamp, nonce, encrypted)
        try:
            return PrpCrypto(self.crypto.key).decrypt(encrypted, self.app_id)
        except Exception as e:  # wrong app id, bad padding, bad base64: all "not for us"
            raise Refused(f"cannot decrypt: {type(e).__name__}") from None

    def encrypt(self, reply_xml: str, nonce: str) -> str:
        return self.crypto.encrypt_message(reply_xml, nonce, str(int(time.time())))
