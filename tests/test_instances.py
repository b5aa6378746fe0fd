"""Two instances behind one WeChat URL and one Telegram webhook, on PostgreSQL and Redis: a
resident's conversation may land on either and reads as if one bot answered."""

from __future__ import annotations

import asyncio

import aiohttp
from instances import WEBHOOK_SECRET, hook_url, instances, wechat_url
from tgupdates import callback_update, next_update_id, text_update
from wechat_support import FakeWeChat, field, message_xml

HEADER = "X-Telegram-Bot-Api-Secret-Token"
TITLE7 = "【第7项 提高住房保障水平】"


async def _wechat_pair(session, apps):
    return [FakeWeChat(session, wechat_url(app)) for app in apps]


async def test_a_conversation_alternating_between_instances_keeps_topic_and_choices(holder):
    async with instances(holder) as apps, aiohttp.ClientSession() as session:
        for app in apps:  # what the load balancer checks before sending residents there
            async with session.get(wechat_url(app).replace("/wechat", "/readyz")) as r:
                ready = (r.status, await r.json())
            checks = {"database": True, "redis": True, "knowledge": True}
            assert ready == (200, {"ready": True, "checks": checks})
        a, b = await _wechat_pair(session, apps)
        first = await a.ask("oAlt", "租房补贴怎么申请")
        assert first.startswith(TITLE7 + "\n租房补贴申请审核：")
        follow = await b.ask("oAlt", "那能领多少钱")  # no project named: the topic is shared
        assert follow.startswith(TITLE7 + "\n原文未说明租房补贴的金额和发放方式。")
        assert "回复 1 条件" in follow
        picked = await a.ask("oAlt", "1")  # the choice offered by the other instance
        assert picked.startswith(TITLE7 + "\n2023年：租房补贴面向中低收入住房困难家庭。")
        # Someone else's "1" is not this resident's choice.
        assert not (await b.ask("oOther", "1")).startswith(TITLE7)


async def test_the_same_msgid_posted_to_both_at_once_is_answered_once(holder):
    async with instances(holder) as apps, aiohttp.ClientSession() as session:
        a, b = await _wechat_pair(session, apps)
        xml = message_xml("text", openid="oTwice", content="订阅万东路的进展")
        (sa, ra), (sb, rb) = await asyncio.gather(a.post(xml), b.post(xml))
        assert (sa, sb) == (200, 200)
        assert ra == rb  # byte for byte: one computation, one reply
        assert field(ra, "Content").startswith("已订阅：第9项")
        # A later retry on either instance gets that reply again, not "already subscribed".
        assert (await b.post(xml))[1] == ra
        subs = apps[0].services.subscriptions
        assert await subs.subscriptions("wx:oTwice") == [9]


async def test_more_continues_the_pages_on_the_other_instance(holder):
    async with (
        instances(holder, wechat={"reply_max_bytes": 200}) as apps,
        aiohttp.ClientSession() as session,
    ):
        a, b = await _wechat_pair(session, apps)
        parts = [await a.ask("oPages", "民心工程有哪些")]
        assert parts[0].startswith("河东区2023年20项民心工程（按类别）：")
        while parts[-1].endswith("回复「更多」看下一部分"):
            assert len(parts) < 20
            parts.append(await (a, b)[len(parts) % 2].ask("oPages", "更多"))  # b, a, b…
        assert len(parts) > 2
        text = "\n".join(parts)
        for line in ("1. 综合施策推动就业", "2. 优化教育资源配置", "3. 提升公共卫生服务"):
            assert text.count(line) == 1  # each line once: no page shown twice or skipped
        assert "没有更多内容" in await b.ask("oPages", "更多")


async def test_a_flood_across_both_instances_is_limited_once(api, holder):
    flood = {"max_messages": 3, "per_seconds": 600}
    async with (
        instances(holder, api=api, telegram={"flood": flood}) as apps,
        aiohttp.ClientSession() as http,
    ):
        urls = [hook_url(app) for app in apps]
        for i in range(8):
            update = {"update_id": next_update_id(), **text_update(77, "/help")}
            resp = await http.post(urls[i % 2], json=update, headers={HEADER: WEBHOOK_SECRET})
            assert resp.status == 200
            if i < 4:  # in order: three answers, then the one warning
                await api.wait_for("sendMessage", i + 1, chat_id=77)
        # Barrier: another resident answered by each instance after the flood was dealt with.
        for i, url in enumerate(urls):
            update = {"update_id": next_update_id(), **text_update(78, "/help")}
            await http.post(url, json=update, headers={HEADER: WEBHOOK_SECRET})
            await api.wait_for("sendMessage", i + 1, chat_id=78)
        texts = api.texts(77)
        assert len(texts) == 4
        assert [t.startswith("我能回答") for t in texts] == [True, True, True, False]
        assert texts[3] == "您发送得太快了，请稍后再试。"


async def test_a_telegram_webhook_retry_on_the_other_instance_is_not_answered_twice(api, holder):
    # Telegram redelivers an update whose 200 it did not see; the balancer may send the retry to
    # the other instance. A second answer would read 您已订阅过 and subscribe nothing new.
    async with instances(holder, api=api) as apps, aiohttp.ClientSession() as http:
        a, b = (hook_url(app) for app in apps)
        headers = {HEADER: WEBHOOK_SECRET}
        update = {"update_id": next_update_id(), **text_update(81, "订阅万东路的进展")}
        assert (await http.post(a, json=update, headers=headers)).status == 200
        [first] = await api.wait_for("sendMessage", 1, chat_id=81)
        assert first.params["text"].startswith("已订阅：第9项")
        assert (await http.post(b, json=update, headers=headers)).status == 200  # the retry
        # And a retry racing its original: the same new update posted to both at once.
        again = {"update_id": next_update_id(), **text_update(81, "我的订阅")}
        both = await asyncio.gather(*(http.post(u, json=again, headers=headers) for u in (a, b)))
        assert [r.status for r in both] == [200, 200]
        # Barrier: a later message from the same resident answered by each instance.
        for i, url in enumerate((b, a)):
            later = {"update_id": next_update_id(), **text_update(81, "/help")}
            await http.post(url, json=later, headers=headers)
            await api.wait_for("sendMessage", 3 + i, chat_id=81)
        texts = api.texts(81)
        assert len(texts) == 4, texts
        assert texts[0].startswith("已订阅：第9项")
        assert not any("已订阅过" in t for t in texts)
        assert texts[1] == "您的订阅：\n· 第9项 建设城市市政道路"
        assert [t.startswith("我能回答") for t in texts[2:]] == [True, True]
        assert await apps[0].services.subscriptions.subscriptions("tg:81") == [9]


async def _done(repo, job_id: int, timeout: float = 60) -> None:
    async def wait():
        while (await repo.job(job_id)).state != "done":
            await asyncio.sleep(0.1)

    await asyncio.wait_for(wait(), timeout)


async def test_two_instances_send_one_broadcast_together_within_one_budget(api, holder):
    # The fake Bot API refuses (429) anything over 20 messages a second (a quarter second of
    # burst, as a loaded machine's event loop may bunch sends); our budget is 20/s for the whole
    # deployment, so together the instances never go over it (each alone at 20/s would).
    api.set_rate_limit(20, burst=5, retry_after=1)
    broadcast = {"rate_per_second": 20, "per_chat_interval": 0}
    async with instances(holder, api=api, broadcast=broadcast) as apps:
        a, b = apps
        repo = a.tools.broadcasts
        chats = [str(5000 + i) for i in range(60)]
        job = await repo.create_draft(None, "第9项进展：万东路已通车。", "staff", "tg:1")
        assert await repo.confirm(job, [(f"tg:{c}", "telegram", c) for c in chats])
        a.tools.engine.start(job)  # as the admin's confirmation on instance A does
        await _done(repo, job)
        assert api.rate_limited == 0
        assert all(api.sent_per_chat[int(c)] == 1 for c in chats)  # everyone once
        assert sum(api.sent_per_chat.values()) == 60
        shares = [app.tools.engine.stats["claimed"] for app in apps]
        assert sum(shares) == 60 and min(shares) > 0  # both instances sent part of it
        assert (await repo.counts(job))["sent"] == 60


async def test_a_knowledge_edit_goes_live_on_every_instance(tmp_path):
    import shutil

    from conftest import ROOT

    from bot.kbholder import KBHolder

    kb_dir = tmp_path / "knowledge"  # the shared storage both instances read
    shutil.copytree(ROOT / "knowledge", kb_dir)
    question = "小黄车停放点在哪"
    async with instances(lambda: KBHolder(kb_dir), knowledge={"dir": str(kb_dir)}) as apps:
        assert all(app.holder.router.route(question).project is None for app in apps)
        for app in apps:
            await asyncio.wait_for(app.watch_ready.wait(), 10)
        f = kb_dir / "2023" / "10-tingche.yaml"
        text = f.read_text(encoding="utf-8")
        f.write_text(text.replace("aliases: [", "aliases: [小黄车停放点, ", 1), encoding="utf-8")
        for _ in range(150):
            if all(app.holder.router.route(question).project == 10 for app in apps):
                break
            await asyncio.sleep(0.2)
        assert [app.holder.router.route(question).project for app in apps] == [10, 10]


async def _post(http, url: str, update: dict) -> None:
    resp = await http.post(url, json=update, headers={HEADER: WEBHOOK_SECRET})
    assert resp.status == 200


async def _confirm_on(http, api, url: str, admin: int, text: str) -> int:
    """/broadcast typed to one instance, 确认发送 pressed on `url`: the job's id."""
    before = len(api.of("sendMessage", chat_id=admin))
    await _post(http, url, {"update_id": next_update_id(), **text_update(admin, text)})
    calls = await api.wait_for("sendMessage", before + 1, chat_id=admin)
    preview = calls[-1]
    go = preview.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await _post(
        http, url, {"update_id": next_update_id(), **callback_update(admin, go, preview.result)}
    )
    return int(go.rsplit(":", 1)[-1])


async def test_status_cancel_and_the_live_report_work_from_any_instance(api, holder):
    from bot.storage.subscriptions import SubscriptionRepo

    api.set_rate_limit(20, burst=5, retry_after=1)
    admin = 1
    options = {
        "broadcast": {"rate_per_second": 20, "per_chat_interval": 0, "status_interval": 0.3},
        "telegram": {"admins": [admin]},
    }
    async with instances(holder, api=api, **options) as apps, aiohttp.ClientSession() as http:
        a, b = (hook_url(app) for app in apps)
        subs = SubscriptionRepo(apps[0].db)
        residents = list(range(6000, 6060))
        for chat in residents:
            await subs.touch_user(f"tg:{chat}", "telegram", str(chat))
            await subs.subscribe(f"tg:{chat}", None)
        repo = apps[0].tools.broadcasts

        # Confirmed on B, stopped from A: nothing more goes out, and one report says so.
        job = await _confirm_on(http, api, b, admin, "/broadcast all 第二次通知")
        await api.wait_for("sendMessage", 3, chat_id=None)
        cancel = text_update(admin, f"/cancel_broadcast {job}")
        await _post(http, a, {"update_id": next_update_id(), **cancel})
        await _done_or_cancelled(repo, job)
        counts = await repo.counts(job)
        assert counts["cancelled"] > 0
        await _followers_done(apps)
        texts = api.texts(admin)
        assert any(t.startswith(f"已停止广播 #{job}：已送达 ") for t in texts), texts
        assert [t.split("\n")[0] for t in texts if t.startswith(f"广播 #{job}（")] == [
            f"广播 #{job}（全部订阅者）已取消"
        ]
        # What went out is what the outbox says: the rows in flight at the cancel, no more.
        assert sum(api.sent_per_chat[c] for c in residents) == counts["sent"] < 60

        # Confirmed on B, which is then taken down (a deploy): A finishes the job, /broadcasts
        # on A shows it, and the admin's status message and report come from A, once.
        api.clear()
        job = await _confirm_on(http, api, b, admin, "/broadcast all 明天上午9点万东路通车")
        await api.wait_for("sendMessage", 5, chat_id=None)
        apps.remove(down := apps[1])  # stopped here, not again when the test ends
        await down.stop()
        await _post(http, a, {"update_id": next_update_id(), **text_update(admin, "/broadcasts")})
        listing = (await api.wait_for("sendMessage", 2, chat_id=admin))[-1].params["text"]
        assert f"#{job} " in listing and "全部订阅者 发送中" in listing, listing
        await _done(repo, job)
        await _followers_done(apps)
        reports = [t for t in api.texts(admin) if t.startswith(f"广播 #{job}（")]
        assert len(reports) == 1, reports
        head, took = reports[0].rsplit("\n", 1)
        assert (
            head
            == f"广播 #{job}（全部订阅者）发送完毕\n共 60 人\n已送达 60\n已屏蔽或不存在 0\n失败 0"
        )
        assert took.startswith("用时 ")
        edits = api.of("editMessageText", ok=True)
        assert edits and edits[-1].params["text"].startswith(f"广播 #{job}（全部订阅者）发送完毕")
        assert all(api.sent_per_chat[c] == 1 for c in residents)


async def _done_or_cancelled(repo, job_id: int, timeout: float = 30) -> None:
    async def wait():
        while (await repo.job(job_id)).state not in ("done", "cancelled") or await repo.in_flight(
            job_id
        ):
            await asyncio.sleep(0.1)

    await asyncio.wait_for(wait(), timeout)


async def _followers_done(apps) -> None:
    """Until every instance's follower of the admin's status has seen the job end."""
    for _ in range(100):
        if not any(app.desk._following for app in apps):
            return
        await asyncio.sleep(0.1)


async def test_an_update_a_dead_instance_acknowledged_is_answered_by_a_survivor(
    api, holder, monkeypatch
):
    # An instance stored an update (Telegram got its 200) and died before answering: a survivor
    # answers it once the lease has passed. One whose reply had begun is never answered again.
    import datetime as dt
    import json

    from bot.storage.schema import telegram_inbox, utcnow

    monkeypatch.setattr("bot.channels.telegram.intake.INBOX_LEASE", 1.0)
    monkeypatch.setattr("bot.channels.telegram.intake.ADOPT_EVERY", 0.2)
    async with instances(holder, api=api) as apps:
        long_ago = utcnow() - dt.timedelta(seconds=5)
        left = {"update_id": next_update_id(), **text_update(93, "租房补贴怎么申请")}
        begun = {"update_id": next_update_id(), **text_update(94, "/help")}
        async with apps[0].db.engine.begin() as conn:  # as the dead instance left them
            await conn.execute(
                telegram_inbox.insert(),
                [
                    {"update_id": u["update_id"], "payload": json.dumps(u), "received_at": long_ago}
                    | extra
                    for u, extra in (
                        (left, {"sending_at": None}),
                        (begun, {"sending_at": long_ago}),
                    )
                ],
            )
        [answer] = await api.wait_for("sendMessage", 1, chat_id=93)
        assert answer.params["text"].startswith(TITLE7 + "\n租房补贴申请审核：")
        # Barrier: a later update through each instance's webhook is answered after it.
        async with aiohttp.ClientSession() as http:
            for i, app in enumerate(apps):
                later = {"update_id": next_update_id(), **text_update(93, "/help")}
                await _post(http, hook_url(app), later)
                await api.wait_for("sendMessage", 2 + i, chat_id=93)
        assert len(api.of("sendMessage", chat_id=93)) == 3  # answered once, by one survivor
        assert api.of("sendMessage", chat_id=94) == []


async def test_the_command_line_broadcast_reports_a_job_the_running_instances_share(
    api, holder, tmp_path, capsys, caplog
):
    # `python -m bot broadcast --yes` beside a running instance: both send the job; the command
    # line's own share usually ends while the instance still has rows in flight, and its report
    # must still come (the job's end, not its share's).
    import yaml

    from bot.cli import main
    from bot.storage.subscriptions import SubscriptionRepo

    api.set_rate_limit(20, burst=5, retry_after=1)
    broadcast = {"rate_per_second": 20, "per_chat_interval": 0, "status_interval": 0.2}
    # The instance claims 16 rows at a time, the command line 1: when nothing is left to claim,
    # the instance nearly always holds rows still waiting for the budget.
    running = {**broadcast, "concurrency": 32}
    async with instances(holder, n=1, api=api, broadcast=running) as [app]:
        subs = SubscriptionRepo(app.db)
        residents = list(range(6100, 6160))
        for chat in residents:
            await subs.touch_user(f"tg:{chat}", "telegram", str(chat))
            await subs.subscribe(f"tg:{chat}", None)
        config = tmp_path / "cli.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "database": {"url": app.config.database.url},
                    "redis": {"url": app.config.redis.url, "prefix": app.config.redis.prefix},
                    "telegram": {"token": api.token, "base_url": api.base_url},
                    "knowledge": {"watch": False},
                    "broadcast": {**broadcast, "concurrency": 2},
                }
            ),
            encoding="utf-8",
        )
        args = ["broadcast", "all", "明天停水", "--yes", "--by", "王主任", "--config", str(config)]
        assert await asyncio.to_thread(main, args) == 0
        out = capsys.readouterr().out
        assert app.tools.engine.stats["claimed"] > 0  # the running instance sent part of it
        assert "广播 #1（全部订阅者）发送完毕\n共 60 人\n已送达 60\n" in out, out
        assert all(api.sent_per_chat[c] == 1 for c in residents)
        # A job without a status message (the command line's) is joined without an error.
        assert not [r for r in caplog.records if "joining open broadcasts failed" in r.message]
