"""A WeChat-only deployment (`run` with only a wechat section): an admin's OpenID records
progress and broadcasts it; subscribers inside WeChat's 48-hour window get it, the others are
reported as not reachable now; a resident's /progress is refused and audited."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from zoneinfo import ZoneInfo

from sqlalchemy import update
from transcript_players import ADMIN, RESIDENT, WeChatPlayer

from bot.kb.loader import DEFAULT_DIR
from bot.kbholder import KBHolder
from bot.storage.audit import AuditRepo
from bot.storage.subscriptions import users


def _today() -> str:
    d = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return f"{d.year}年{d.month}月{d.day}日"


async def test_a_wechat_admin_publishes_progress_and_broadcasts_it(holder, tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    async with WeChatPlayer(holder, f"sqlite+aiosqlite:///{tmp_path / 'wx.db'}") as wx:
        assert [c.name for c in wx.app.channels] == ["wechat"]
        assert (await wx.say(RESIDENT, "/subscribe 9")).text.startswith("已订阅：第9项")
        away = await wx.wx.ask("oAway", "/subscribe 9")  # subscribed, then silent for 49 hours
        assert away.startswith("已订阅：第9项")
        async with wx.db.engine.begin() as conn:
            old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=49)
            await conn.execute(
                update(users).where(users.c.user_key == "wx:oAway").values(last_seen=old)
            )

        refused = await wx.say(RESIDENT, "/progress 9 60% 万东路主体完工")
        assert refused.text == "无权限：这个命令只供管理员或工作人员使用。"
        [entry] = await AuditRepo(wx.db).recent(action="refused")
        # Audited under a pseudonym, by the command alone (never the openid or what was typed).
        assert entry.details == "/progress" and entry.who.startswith("u:")
        assert "oResident" not in entry.who

        recorded = await wx.say(ADMIN, "/progress 9 60% 万东路主体完工")
        assert recorded.text.startswith("已记录：第9项 建设城市市政道路\n进行中 60%")
        preview = await wx.choose(ADMIN, "通知订阅者")
        assert preview.text.split("\n")[:4] == [
            "广播预览 #1",
            "对象：第9项 建设城市市政道路（订阅了该项目或全部项目的居民）",
            "收件人：2 人（微信 2）",
            "现在可送达：微信 1（另 1 人现在无法通过微信送达，将列入报告）",
        ]
        status = await wx.choose(ADMIN, "确认发送")
        assert status.text.startswith("广播 #1（第9项 建设城市市政道路）发送中")

        assert await wx.pushed(RESIDENT) == (
            f"【进展通知】第9项 建设城市市政道路\n截至{_today()}：进行中 60%\n万东路主体完工"
        )
        report = (await wx.report(ADMIN)).split("\n")
        assert report[:6] == [
            "广播 #1（第9项 建设城市市政道路）发送完毕",
            "共 2 人",
            "已送达 1",
            "已屏蔽或不存在 0",
            "失败 0",
            "现在无法送达（超出微信 48 小时窗口，或该渠道不能推送） 1",
        ]
        pushed_to = [b["touser"] for e, b in wx.wxapi.calls if e == "message/custom/send"]
        assert "oAway" not in pushed_to  # WeChat would refuse it: never tried, reported

        answer = await wx.say(RESIDENT, "万东路修好了吗")
        assert answer.text.split("\n")[1:4] == [
            f"截至{_today()}：进行中 60%",
            "万东路主体完工",
            "（管理员发布）",
        ]


async def test_staff_on_wechat_hear_about_a_rejected_knowledge_edit(tmp_path, monkeypatch):
    """The knowledge watcher's notices reach staff on every channel: here WeChat alone."""
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, knowledge)
    holder = KBHolder(knowledge)
    player = WeChatPlayer(
        holder,
        f"sqlite+aiosqlite:///{tmp_path / 'wx.db'}",
        knowledge={"dir": str(knowledge), "watch": True},
        staff={"wechat": ["oStaff"]},
    )
    async with player as wx:
        await wx.wx.ask("oStaff", "你好")  # staff wrote today: inside the 48-hour window
        await asyncio.wait_for(wx.app.watch_ready.wait(), 20)
        road = knowledge / "2023" / "09-daolu.yaml"
        text = road.read_text(encoding="utf-8")
        road.write_text(
            text.replace("在向阳楼街建设3条基础设施配套道路", "在向阳楼街建设5条基础设施配套道路"),
            encoding="utf-8",
        )  # 5: a number the official text never says
        for _ in range(400):
            sent = [b for e, b in wx.wxapi.calls if e == "message/custom/send"]
            if sent:
                break
            await asyncio.sleep(0.05)
        [notice] = sent
        assert notice["touser"] == "oStaff"
        assert notice["text"]["content"].startswith(
            "知识库未更新（改动：2023/09-daolu.yaml）：发现 1 处错误，仍在使用旧版本。\n"
            "2023/09-daolu.yaml:6: summary: "
        )
