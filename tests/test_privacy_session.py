"""A resident pastes personal data into the real bot, presses 有用/没用, asks for a person and
types /forget: nothing of it is left in any table or in the log output (SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib.util
import logging

from conftest import ROOT, wipe_postgres
from tgharness import running_bot

from bot.config import Config
from bot.privacy import install_log_redaction
from bot.storage import Database

spec = importlib.util.spec_from_file_location("privacy_check", ROOT / "scripts/privacy_check.py")
privacy_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(privacy_check)

RESIDENT = 7301234567
ID_NUMBER = "120102198506123019"
MOBILE = "13812345678"
FLAT = "5号楼3单元502室"
EMAIL = "li.si@example.com"
NOTICE = "为保护您的隐私，已删除消息中的个人信息，请勿发送身份证号、手机号等。"
FIRST = (
    "隐私说明：民心通保存您提的问题（去除个人信息、不含姓名，用于改进回答）和您的订阅"
    "（用于发送进展通知），问题保存180天后自动删除。发送 /forget 或“删除我的记录”可随时删除。"
)


async def test_pii_and_forget_leave_nothing_in_the_database_or_the_log(api, holder, tmp_path, db):
    url = db.url
    await db.close()
    if not db.is_sqlite:
        await wipe_postgres(Database(url))
    log_file = tmp_path / "bot.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)  # setLevel, not .level =: loggers cache isEnabledFor
    install_log_redaction()
    config = Config.model_validate(
        {"database": {"url": url}, "telegram": {"token": api.token, "base_url": api.base_url}}
    )
    try:
        async with running_bot(api, holder, config) as bot:
            [start] = await bot.say(RESIDENT, "/start")
            assert FIRST in start.params["text"]  # first contact: what is kept, how long, delete

            [a1] = await bot.say(RESIDENT, f"租房补贴怎么申请？我身份证{ID_NUMBER}")
            assert a1.params["text"].endswith("\n\n" + NOTICE)
            assert FIRST not in a1.params["text"]
            buttons = [
                b["text"] for row in a1.params["reply_markup"]["inline_keyboard"] for b in row
            ]
            assert buttons[-2:] == ["有用", "没用"] and len(buttons) <= 5

            [a2] = await bot.say(RESIDENT, f"租房补贴我电话{MOBILE}，住{FLAT}")
            assert NOTICE not in a2.params["text"]  # told once

            [thanks] = await bot.press(RESIDENT, "fb:7:apply:0", on=a1)
            assert thanks.params["text"].startswith(
                "抱歉没能帮上忙，已记下这条回答，工作人员会改进。"
            )

            [s] = await bot.say(RESIDENT, f"我建议明年多建口袋公园，联系我{EMAIL}")
            assert s.params["text"].startswith("谢谢您的建议！")
            [h] = await bot.say(RESIDENT, f"我要投诉，楼下施工太吵，我住{FLAT}")
            assert "天津12345政务服务便民热线（12345）" in h.params["text"]
            assert "我想咨询：" in h.params["text"] and FLAT not in h.params["text"]

            await bot.services.question_log.flush()
            before = await privacy_check.grep_database(url, ["[身份证号]", "[手机号]"])
            assert before  # the redacted questions are there until /forget

            [bye] = await bot.say(RESIDENT, "/forget")
            assert (
                bye.params["text"]
                == "已删除您在民心通的全部数据（订阅、对话记录）。以后仍可随时提问。"
            )
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)

    needles = [str(RESIDENT), ID_NUMBER, MOBILE, FLAT, EMAIL]
    assert await privacy_check.grep_database(url, needles) == []
    assert privacy_check.grep_logs([log_file], needles) == []
    assert "forgot a user" in log_file.read_text(encoding="utf-8")  # the log did record the session


async def test_the_privacy_check_finds_what_was_not_redacted(db):
    """The check itself can fail: a row written behind the redaction's back is found."""
    from bot.storage.audit import audit_log
    from bot.storage.db import utcnow

    async with db.engine.begin() as conn:  # as an older version wrote refusals
        await conn.execute(
            audit_log.insert().values(
                at=utcnow(),
                who=f"tg:{RESIDENT}",
                who_name="",
                action="refused",
                details=f"住{FLAT} 电话 138-1234-5678",
            )
        )
    found = await privacy_check.grep_database(db.url, [str(RESIDENT), FLAT, MOBILE])
    assert sorted(found) == [
        "audit_log.details row 1: 13812345678",
        f"audit_log.details row 1: {FLAT}",
        f"audit_log.who row 1: {RESIDENT}",
    ]


async def test_audit_details_are_redacted_when_written(db):
    from bot.storage.audit import AuditRepo

    await AuditRepo(db, "s").record("cli:王芳", "progress", "第9项 咨询电话13812345678")
    [entry] = await AuditRepo(db, "s").recent()
    assert entry.details == "第9项 咨询电话[手机号]"
