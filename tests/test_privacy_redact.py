"""Redaction: each kind of personal information, and the look-alikes that must stay."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import RedactingFilter, redact, scan

CASES = [
    ("我的身份证120102198506123019", "我的身份证[身份证号]"),  # valid check digit
    ("身份证号11010519491231002X", "身份证号[身份证号]"),  # X check digit
    ("老身份证120102850612301", "老身份证[身份证号]"),  # 15 digits
    ("卡号6222021234567890128", "卡号[银行卡号]"),  # Luhn
    ("卡号 6222 0212 3456 7890 128", "卡号 [银行卡号]"),
    ("电话13812345678，谢谢", "电话[手机号]，谢谢"),
    ("手机 138-1234-5678", "手机 [手机号]"),
    ("+86 138 1234 5678", "[手机号]"),
    ("家里022-24125551", "家里[电话]"),
    ("（022）24125551转123", "[电话]"),
    ("邮箱 zhang.san@example.com", "邮箱 [邮箱]"),
    ("住在万东路小区5号楼3单元502室", "住在万东路小区[详细地址]"),
    ("12栋301", "[详细地址]"),
    ("家住2-3-502", "家住[详细地址]"),
    # An 18-digit number whose check digit is wrong is not an ID, but still says who asked.
    ("身份证号120102198506123010", "身份证号[号码]"),
]

KEEP = [
    "2023-07-01开始",
    "从每户每月600元提高到800元",
    "拨打12345",
    "住院最高报25万元",
    "租房补贴怎么申请",
]


@pytest.mark.parametrize(("said", "stored"), CASES)
def test_each_kind_is_replaced_by_its_placeholder(said, stored):
    assert redact(said) == stored


@pytest.mark.parametrize("said", KEEP)
def test_dates_amounts_and_the_hotline_stay(said):
    r = scan(said)
    assert r.text == said and not r.found


def test_log_records_lose_pii_and_raw_user_keys():
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "user %s said %r",
        ("tg:7301234567", "电话13812345678"),
        None,
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "user tg:*** said '电话[手机号]'"
