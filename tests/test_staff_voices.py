"""有用/没用 without user keys, hand-off after two misses or on 转人工/投诉, suggestions stored
and listed — through the real dialogue on a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from test_staff_qlog import _dump

from bot.cli import main
from bot.config import HandoffConfig
from bot.dialogue import Dialogue
from bot.models import Message
from bot.services import Services
from bot.storage import Database
from bot.storage.db import utcnow
from bot.storage.feedback import FeedbackRepo
from bot.storage.qlog import QuestionLogRepo

USER = "tg:7301234567"
HOTLINE = "天津12345政务服务便民热线（12345）"


@pytest.fixture
async def talk(db, holder):
    qlog = QuestionLogRepo(db, secret="s3cret")
    await qlog.start()
    services = Services(
        holder,
        question_log=qlog,
        feedback=FeedbackRepo(db),
        handoff=HandoffConfig(phone="022-2345 0000", url="https://example.org/liuyan"),
    )
    return Dialogue(services)


async def say(d: Dialogue, text: str, user: str = USER):
    return await d.respond(Message("telegram", user, text))


async def test_feedback_is_offered_once_per_project_and_stored_without_the_user(talk, db):
    first = await say(talk, "租房补贴怎么申请")
    labels = [b.label for b in first.flat_buttons()]
    assert labels == ["待遇", "条件", "查看原文", "有用", "没用"]
    again = await say(talk, "租房补贴有什么条件")
    assert "有用" not in [b.label for b in again.flat_buttons()]  # not on every message

    bad = await talk.act(Message("telegram", USER, ""), "fb:7:apply:0")
    assert bad.text.startswith("抱歉没能帮上忙，已记下这条回答，工作人员会改进。\n需要人工帮助")
    good = await talk.act(Message("telegram", USER, ""), "fb:7:apply:1")
    assert good.text == "谢谢您的反馈！还有问题随时问我。"

    rows = await talk.services.feedback.feedback(utcnow() - dt.timedelta(hours=1))
    assert [(f.project, f.intent, f.helpful, f.question) for f in rows] == [
        (7, "apply", False, "租房补贴有什么条件"),
        (7, "apply", True, "租房补贴有什么条件"),
    ]
    async with db.engine.connect() as conn:
        cols = await conn.run_sync(
            lambda c: [
                x["name"]
                for x in __import__("sqlalchemy").inspect(c).get_columns("answer_feedback")
            ]
        )
    assert cols == ["id", "at", "channel", "project", "intent", "helpful", "question"]
    dump = await _dump(db)
    assert "7301234567" not in dump


async def test_two_misses_in_a_row_offer_12345_with_a_summary_to_copy(talk):
    one = await say(talk, "护照怎么办")
    assert "需要人工帮助" not in one.text
    two = await say(talk, "驾照怎么换")
    assert two.text == (
        f"这个问题不在河东区2023年20项民心工程的范围内，我答不了。\n请拨打{HOTLINE}咨询。\n"
        f"需要人工帮助，请拨打{HOTLINE}。\n"
        "也可以拨打：022-2345 0000\n网上留言：https://example.org/liuyan\n"
        "打电话时可以直接复制这句话：\n我想咨询：护照怎么办；驾照怎么换"
    )
    three = await say(talk, "社保卡丢了怎么办")
    assert "需要人工帮助" not in three.text  # offered once, then counted afresh


async def test_an_ask_back_not_picked_counts_as_a_miss(talk):
    asked = await say(talk, "怎么申请")
    assert asked.text.startswith("您问的是哪个项目？")
    missed = await say(talk, "护照怎么办")  # did not pick: the ask-back and this both missed
    assert "打电话时可以直接复制这句话：\n我想咨询：怎么申请；护照怎么办" in missed.text


async def test_an_answer_between_misses_starts_the_count_again(talk):
    await say(talk, "护照怎么办")
    await say(talk, "租房补贴怎么申请")
    later = await say(talk, "驾照怎么换")
    assert "需要人工帮助" not in later.text


async def test_complaint_hands_off_at_once_and_keeps_pii_out_of_the_summary(talk):
    await say(talk, "万东路修好了吗")
    r = await say(talk, "我要投诉万东路施工扰民，我住5号楼3单元502室")
    assert r.text.startswith(
        f"我是自动问答机器人，不能直接转接人工。\n需要人工帮助，请拨打{HOTLINE}。"
    )
    assert "\n我想咨询：万东路修好了吗；我要投诉万东路施工扰民 我住[详细地址]\n" in r.text
    bare = await say(talk, "转人工", user="tg:1")
    assert "我想咨询" not in bare.text  # nothing asked yet: no summary


async def test_a_suggestion_is_thanked_stored_redacted_and_listed(
    talk, db, holder, capsys, tmp_path
):
    r = await say(talk, "我建议明年多建几个口袋公园，电话13812345678")
    assert r.text.startswith(
        "谢谢您的建议！已记下，会转给工作人员，作为编制明年民心工程清单的参考。"
    )
    await say(talk, "希望明年增加老年食堂")
    await say(talk, "希望今后多办些书法班")
    rows = await talk.services.feedback.suggestions(utcnow() - dt.timedelta(hours=1))
    assert [(s.text, s.project) for s in rows] == [
        ("我建议明年多建几个口袋公园，电话[手机号]", 15),
        ("希望明年增加老年食堂", 4),  # the project the words name, if any, is its topic
        ("希望今后多办些书法班", None),
    ]
    assert "13812345678" not in await _dump(db)
    if not db.is_sqlite:
        return  # the CLI below reads a config file pointing at this SQLite file
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"database:\n  url: {db.url}\n", encoding="utf-8")
    assert await asyncio.to_thread(main, ["--config", str(cfg), "suggestions"]) == 0
    out = capsys.readouterr()
    day = f"{utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))):%m-%d}"
    assert out.out.splitlines() == [
        "居民建议（3 条，按主题）：",
        "  【第4项 完善社区养老服务】1 条",
        f"    {day} 希望明年增加老年食堂",
        "  【第15项 打造生态宜居环境】1 条",
        f"    {day} 我建议明年多建几个口袋公园，电话[手机号]",
        "  【其他（没有对应的项目）】1 条",
        f"    {day} 希望今后多办些书法班",
    ]
    assert "数据库：" in out.err


@pytest.mark.parametrize(
    "text",
    ["建议怎么提？", "我要投诉，建议你们改改", "我希望知道租房补贴怎么申请", "口袋公园建在哪"],
)
async def test_questions_and_complaints_are_not_suggestions(talk, text):
    r = await say(talk, text)
    assert not r.text.startswith("谢谢您的建议")


def test_staff_commands_without_config_never_create_a_database_here(tmp_path, monkeypatch, capsys):
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("MINXIN_DATA_DIR", str(tmp_path / "elsewhere"))
    for cmd in (["inbox"], ["stats"], ["suggestions"]):
        assert main(cmd) == 1
        err = capsys.readouterr().err
        assert f"没有找到数据库 {tmp_path / 'elsewhere' / 'minxin.db'}" in err
    assert not (tmp_path / "elsewhere").exists()  # reading commands create nothing anywhere
    assert main(["audit"]) == 0  # an admin command may create the database: in the data dir
    assert (tmp_path / "elsewhere" / "minxin.db").exists()
    assert list(here.iterdir()) == []  # never ./data/minxin.db where the command ran


def test_staff_commands_say_which_database_they_opened(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINXIN_DATA_DIR", str(tmp_path / "d"))

    async def make():
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'd' / 'minxin.db'}")
        await db.start()
        await db.close()

    asyncio.run(make())
    assert main(["stats", "--days", "1"]) == 0
    assert f"数据库：{tmp_path / 'd' / 'minxin.db'}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


async def test_stats_and_inbox_show_helpfulness_and_the_unhelpful_questions(
    talk, db, tmp_path, capsys
):
    await say(talk, "租房补贴怎么申请")
    await talk.act(Message("telegram", USER, ""), "fb:7:apply:0")
    await say(talk, "口袋公园建在哪", user="tg:2")
    await talk.act(Message("telegram", "tg:2", ""), "fb:15:overview:1")
    if not db.is_sqlite:
        return  # the CLI reads a config file pointing at this SQLite file
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"database:\n  url: {db.url}\n", encoding="utf-8")
    html = tmp_path / "r.html"
    argv = ["--config", str(cfg), "stats", "--days", "1", "--html", str(html)]
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out
    assert (
        "回答是否有用（有用 / 没用）：\n  第7项 提高住房保障水平  0 / 1\n  第15项 打造生态宜居环境  1 / 0\n"
        "居民说“没用”的问题：\n  第7项 办理：租房补贴怎么申请"
    ) in out
    page = html.read_text(encoding="utf-8")
    assert "<td>第7项 提高住房保障水平</td><td>0</td><td>1</td>" in page
    assert "<td>第7项</td><td>办理</td><td>租房补贴怎么申请</td>" in page
    assert await asyncio.to_thread(main, ["--config", str(cfg), "inbox"]) == 0
    assert "居民说“没用”的问题：\n  第7项 办理：租房补贴怎么申请" in capsys.readouterr().out
