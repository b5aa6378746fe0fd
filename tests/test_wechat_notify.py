"""Pushes to WeChat users, within WeChat's rules, against WeChat's API faked on 127.0.0.1;
and the custom menu: its JSON, its limits, its upload."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from sqlalchemy import update
from wechat_support import APP_ID, TOKEN, FakeWeChatAPI, fake_wechat_api, wechat_config

from bot.channels.wechat.menu import SUB_MAX, TOP_MAX, build_menu, problems
from bot.channels.wechat.notify import WeChatNotifier
from bot.cli import main
from bot.dialogue import Dialogue
from bot.models import Message
from bot.services import Services
from bot.storage.store import ChannelStore
from bot.storage.subscriptions import SubscriptionRepo, users

NOTICE = "【第9项 建设城市市政道路】新进展（2023年9月1日）\n万东路主路已完工。"


@pytest.fixture
async def api():
    async with fake_wechat_api() as (fake, base_url):
        fake.base_url = base_url
        yield fake


def notifier(api: FakeWeChatAPI, db=None, **overrides) -> WeChatNotifier:
    overrides.setdefault("app_secret", api.secret)
    return WeChatNotifier(
        wechat_config(**overrides).wechat, ChannelStore(db), api_base_url=api.base_url
    )


async def test_with_a_template_id_notices_go_out_as_template_messages(api):
    wx = notifier(api, template_id="TPL-progress-1")
    assert await wx.send_progress_notice("oFeng", NOTICE) == "sent"
    assert await wx.send_progress_notice("oLi", NOTICE) == "sent"
    endpoint, body = api.calls[0]
    assert endpoint == "message/template/send"
    assert body["touser"] == "oFeng" and body["template_id"] == "TPL-progress-1"
    assert body["data"]["first"]["value"] == "【第9项 建设城市市政道路】新进展（2023年9月1日）"
    assert body["data"]["content"]["value"] == "万东路主路已完工。"
    assert api.tokens_issued == 1  # the access token is fetched once and reused
    await wx.close()


async def test_without_a_template_only_users_seen_within_48_hours_get_a_service_message(api, db):
    repo = SubscriptionRepo(db)
    await repo.touch_user("wx:oRecent", "wechat", "oRecent")
    await repo.touch_user("wx:oOld", "wechat", "oOld")
    async with db.engine.begin() as conn:
        old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=49)
        await conn.execute(update(users).where(users.c.user_key == "wx:oOld").values(last_seen=old))
    wx = notifier(api, db)
    assert await wx.send_progress_notice("oRecent", NOTICE) == "sent"
    assert await wx.send_progress_notice("oOld", NOTICE) == "skipped"  # WeChat would refuse it
    assert await wx.send_progress_notice("oNeverWrote", NOTICE) == "skipped"
    assert [(e, b["touser"], b["text"]["content"]) for e, b in api.calls] == [
        ("message/custom/send", "oRecent", NOTICE)
    ]
    await wx.close()


async def test_the_service_quota_is_counted_per_window_and_a_new_message_renews_it(api, db):
    repo = SubscriptionRepo(db)
    await repo.touch_user("wx:oFeng", "wechat", "oFeng")
    wx = notifier(api, db, service_quota=2)
    assert [await wx.send_progress_notice("oFeng", NOTICE) for _ in range(3)] == [
        "sent",
        "sent",
        "skipped",  # WeChat would refuse a third (errcode 45047): reported, not tried
    ]
    assert not await wx.can_reach("oFeng")
    await asyncio.sleep(0.01)
    await repo.touch_user("wx:oFeng", "wechat", "oFeng")  # they write again: a new window
    assert await wx.can_reach("oFeng")
    assert await wx.send_progress_notice("oFeng", NOTICE) == "sent"
    assert len(api.calls) == 3
    await wx.close()


@pytest.mark.parametrize(
    ("errcode", "status"),
    [
        (43004, "blocked"),
        (43101, "blocked"),
        (48002, "blocked"),
        (45015, "skipped"),
        (45009, "failed"),
    ],
)
async def test_wechat_refusals_map_to_blocked_skipped_or_failed(api, errcode, status):
    api.errcodes["oUser"] = errcode
    wx = notifier(api, template_id="TPL-progress-1")
    assert await wx.send_progress_notice("oUser", NOTICE) == status
    await wx.close()


async def test_server_errors_and_unreachable_servers_are_failed_not_raised(api):
    api.http_status = 503
    wx = notifier(api, template_id="TPL-progress-1")
    assert await wx.send_progress_notice("oUser", NOTICE) == "failed"
    await wx.close()
    unreachable = WeChatNotifier(
        wechat_config(app_secret="s", template_id="T").wechat, api_base_url="http://127.0.0.1:9/x/"
    )
    assert await unreachable.send_progress_notice("oUser", NOTICE) == "failed"


async def test_without_an_app_secret_nothing_is_sent(api, monkeypatch):
    monkeypatch.delenv("WECHAT_APP_SECRET", raising=False)
    wx = WeChatNotifier(wechat_config(template_id="T").wechat, api_base_url=api.base_url)
    assert await wx.send_progress_notice("oUser", NOTICE) == "skipped"
    assert api.calls == []


async def test_the_app_secret_can_come_from_the_environment(api, monkeypatch):
    monkeypatch.setenv("WECHAT_APP_SECRET", api.secret)
    wx = WeChatNotifier(wechat_config(template_id="T").wechat, api_base_url=api.base_url)
    assert await wx.send_progress_notice("oUser", NOTICE) == "sent"
    await wx.close()


# ---- the custom menu -------------------------------------------------------------------------
def test_the_menu_fits_wechats_limits_and_reaches_every_category(holder):
    menu = build_menu(holder.kb)
    assert problems(menu) == []
    assert len(menu["button"]) <= TOP_MAX
    assert all(len(b["sub_button"]) <= SUB_MAX for b in menu["button"])
    keys = [s["key"] for b in menu["button"] for s in b["sub_button"]]
    n = len(holder.kb.by_category())
    assert keys == [f"cat:{i}" for i in range(n)] + ["list", "mysubs", "help"]


async def test_every_menu_key_is_an_action_the_dialogue_understands(holder, caplog):
    dialogue = Dialogue(Services(holder))
    for b in build_menu(holder.kb)["button"]:
        for s in b["sub_button"]:
            reply = await dialogue.act(Message("wechat", "wx:o1", ""), s["key"])
            assert reply.text
    assert "unknown action" not in caplog.text


class _ManyCategories:
    def by_category(self):
        return [(f"类别{i}", []) for i in range(13)]


def test_more_categories_than_fit_end_with_an_all_categories_button():
    menu = build_menu(_ManyCategories())
    assert problems(menu) == []
    assert menu["button"][1]["sub_button"][-1] == {
        "type": "click",
        "name": "全部类别",
        "key": "cats",
    }


def test_problems_names_what_wechat_would_refuse():
    too_many = {
        "button": [{"name": "菜单", "sub_button": [{"type": "click", "name": "x", "key": "k"}] * 6}]
        * 4
    }
    found = problems(too_many)
    assert any("4 top-level buttons" in p for p in found)
    assert any("6 sub-buttons" in p for p in found)
    assert problems({"button": [{"name": "一个太长的菜单名称", "key": "k"}]})


def test_cli_prints_the_menu_json(holder, capsys):
    assert main(["wechat", "menu"]) == 0
    assert json.loads(capsys.readouterr().out) == build_menu(holder.kb)


def _config_file(tmp_path, **wechat) -> str:
    values = {"token": TOKEN, "app_id": APP_ID, **wechat}
    lines = ["wechat:"] + [f"  {k}: {v}" for k, v in values.items()]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


async def test_cli_uploads_the_menu_through_wechats_api(api, tmp_path, holder, capsys):
    cfg = _config_file(tmp_path, app_secret=api.secret)
    args = ["--config", cfg, "wechat", "menu", "--upload", "--api-base-url", api.base_url]
    assert await asyncio.to_thread(main, args) == 0
    assert api.calls == [("menu/create", build_menu(holder.kb))]
    assert "menu uploaded" in capsys.readouterr().err


async def test_cli_upload_refused_by_wechat_says_why(api, tmp_path, capsys):
    cfg = _config_file(tmp_path, app_secret="wrong-secret")
    args = ["--config", cfg, "wechat", "menu", "--upload", "--api-base-url", api.base_url]
    assert await asyncio.to_thread(main, args) == 1
    err = capsys.readouterr().err
    assert "40125" in err and "Traceback" not in err


def test_cli_upload_without_credentials_explains_what_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WECHAT_APP_SECRET", raising=False)
    assert main(["--config", _config_file(tmp_path), "wechat", "menu", "--upload"]) == 2
    assert "wechat.app_secret" in capsys.readouterr().err
