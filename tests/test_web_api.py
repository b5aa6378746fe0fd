"""The web chat's JSON API over real HTTP from `run`'s serve(): sessions, truth, hostile input."""

from __future__ import annotations

import datetime as dt
import gzip
import re

import aiohttp
import pytest
from websupport import SECRET, csrf_of, serving, web_only
from yarl import URL

from bot.channels import configured
from bot.channels.web.session import COOKIE
from bot.cli.run import channel_problem
from bot.config import ConfigError, load_config
from bot.storage.audit import AuditRepo

SINCE = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def _client(**kw) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **kw)  # 127.0.0.1


async def _visit(session: aiohttp.ClientSession, url: str) -> dict:
    """Open the page as a browser would: it sets the cookie and carries the CSRF token."""
    async with session.get(url) as r:
        assert r.status == 200
        page = await r.text()
    async with session.get(url + "/api/history") as r:  # what the page's script does first
        assert r.status == 200
    return {"X-CSRF-Token": csrf_of(page), "Origin": url.split("/chat")[0]}


async def _post(session, url, path, body, headers):
    async with session.post(url + path, json=body, headers=headers) as r:
        return r.status, await r.json()


async def test_a_resident_asks_follows_up_and_keeps_the_conversation(holder, tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    config = web_only(tmp_path)
    assert channel_problem(config) is None  # a web section alone is a deployment
    async with serving(config, holder) as (url, running), _client() as s:
        h = await _visit(s, url)
        status, data = await _post(s, url, "/api/message", {"text": "养老床位有多少张"}, h)
        assert status == 200
        me, bot = data["entries"]
        assert me["text"] == "养老床位有多少张"
        assert bot["text"].startswith("【第4项 完善社区养老服务】")
        assert "建设家庭养老床位406张" in bot["text"]
        labels = [(b["n"], b["label"]) for row in bot["buttons"] for b in row]
        assert labels == [(1, "待遇"), (2, "怎么办"), (3, "查看原文"), (4, "有用"), (5, "没用")]

        # 查看原文 opens the official paragraph under that same answer, not as a new message.
        status, data = await _post(s, url, "/api/action", {"action": "src:4", "of": bot["id"]}, h)
        assert data["entries"] == []
        assert data["updated"]["id"] == bot["id"]
        assert data["updated"]["quote"].startswith("四、完善社区养老服务。推进老年人助餐服务")

        # A typed number presses the last answer's button of that number: 2 = 怎么办.
        status, data = await _post(s, url, "/api/message", {"text": "2"}, h)
        assert [e["who"] for e in data["entries"]] == ["me", "bot"]
        assert data["entries"][1]["text"].startswith("【第4项 完善社区养老服务】")

        # Subscribing is a notice here: the page cannot push.
        status, data = await _post(s, url, "/api/message", {"text": "订阅一下"}, h)
        assert data["entries"][1]["text"].startswith("网页上无法推送进展通知。订阅请关注公众号")
        sid = s.cookie_jar.filter_cookies(URL(url))[COOKIE].value.split(".")[0]
        assert await running["services"].subscriptions.subscriptions(f"web:{sid}") == []

        async with s.get(url + "/api/history") as r:  # a reload redraws it all from the server
            texts = [e["text"] for e in (await r.json())["entries"]]
        assert texts[0].startswith("我能回答河东区2023年20项民心工程的问题")
        assert texts[1:3] == ["养老床位有多少张", bot["text"]]
        assert texts[-2] == "订阅一下"


async def test_forget_asks_first_then_deletes_and_starts_a_new_session(holder, tmp_path):
    async with serving(web_only(tmp_path), holder) as (url, running), _client() as s:
        h = await _visit(s, url)
        await _post(s, url, "/api/message", {"text": "租房补贴怎么申请"}, h)
        old = s.cookie_jar.filter_cookies(URL(url))[COOKIE].value
        qlog = running["services"].question_log
        key = "web:" + old.split(".")[0]

        async def logged() -> list[str]:
            mine = await qlog.key(key)
            return [q.text for q in await qlog.questions(SINCE) if q.user_hash == mine]

        assert await logged() == ["租房补贴怎么申请"]

        _, data = await _post(s, url, "/api/message", {"text": "/forget"}, h)
        confirm = data["entries"][1]
        assert confirm["text"] == "确定要删除您在这里的全部记录吗？删除后无法恢复。"
        status, data = await _post(
            s, url, "/api/action", {"action": "web:forget:yes", "of": confirm["id"]}, h
        )
        assert status == 200 and data["reset"] is True
        assert [e["text"] for e in data["entries"]] == [
            "已删除您在民心通的全部数据（订阅、对话记录）。以后仍可随时提问。"
        ]
        assert s.cookie_jar.filter_cookies(URL(url))[COOKIE].value != old
        assert await logged() == []
        # The new session works with the token the answer carried.
        h["X-CSRF-Token"] = data["csrf"]
        status, data = await _post(s, url, "/api/message", {"text": "你好"}, h)
        assert status == 200


async def test_hostile_requests_are_refused_without_details(holder, tmp_path):
    config = web_only(tmp_path, flood={"max_messages": 7, "per_seconds": 60})
    async with serving(config, holder) as (url, running), _client() as s:
        h = await _visit(s, url)
        # Markup in a question comes back as the same characters (the page sets it as text).
        _, data = await _post(s, url, "/api/message", {"text": "<img src=x onerror=alert(1)>"}, h)
        assert data["entries"][0]["text"] == "<img src=x onerror=alert(1)>"

        evil = {**h, "Origin": "http://evil.example"}
        assert await _post(s, url, "/api/message", {"text": "你好"}, evil) == (
            403,
            {"error": "请求来源不对，已拒绝。"},
        )
        no_token = {"Origin": h["Origin"]}
        assert (await _post(s, url, "/api/message", {"text": "你好"}, no_token))[0] == 403

        async with s.post(url + "/api/message", data=b"{not json", headers=h) as r:
            assert (r.status, await r.json()) == (
                400,
                {"error": "看不懂这个请求，请刷新页面后再试。"},
            )
        async with s.post(url + "/api/message", data=b"x" * 20_000, headers=h) as r:
            assert r.status == 413 and "Traceback" not in await r.text()
        async with s.post(url + "/api/action", json={"action": 5}, headers=h) as r:
            assert r.status == 400

        # A resident's admin command is refused (and audited by the shared commands).
        _, data = await _post(s, url, "/api/message", {"text": "/progress 9 60% 主体完工"}, h)
        assert data["entries"][1]["text"] == "无权限：这个命令只供管理员或工作人员使用。"
        [refused] = await AuditRepo(running["db"]).recent(action="refused")
        # A pseudonym and the command alone: never the page's session id or what was typed.
        assert refused.who.startswith("u:") and refused.details == "/progress"

        # Session flood: seven requests a minute here (refused ones count too), then a refusal.
        answers = [await _post(s, url, "/api/message", {"text": "你好"}, h) for _ in range(3)]
        assert [a[0] for a in answers] == [200, 200, 429]
        assert answers[-1][1] == {"error": "您发得太快了，请稍等一会儿再问。"}

        async with s.get(url) as r:
            csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp


async def test_one_address_is_limited_across_its_sessions(holder, tmp_path):
    config = web_only(tmp_path, flood={"max_messages": 20, "ip_max_messages": 3})
    async with serving(config, holder) as (url, _), _client() as a, _client() as b:
        ha, hb = await _visit(a, url), await _visit(b, url)
        statuses = [
            (await _post(a, url, "/api/message", {"text": "你好"}, ha))[0] for _ in range(2)
        ]
        statuses += [
            (await _post(b, url, "/api/message", {"text": "你好"}, hb))[0] for _ in range(2)
        ]
        assert statuses == [200, 200, 200, 429]


def _other(c: str) -> str:
    """A character that is surely not c (a forged cookie must differ from the real one)."""
    return "B" if c != "B" else "C"


async def test_a_forged_cookie_gets_a_new_session_not_someone_elses(holder, tmp_path):
    async with serving(web_only(tmp_path), holder) as (url, _):
        async with _client() as alice:
            h = await _visit(alice, url)
            await _post(alice, url, "/api/message", {"text": "万东路修好了吗"}, h)
            real = alice.cookie_jar.filter_cookies(URL(url))[COOKIE].value
        sid, _, mac = real.partition(".")
        forged = [
            f"{sid}.{mac[:-1]}{_other(mac[-1])}",
            f"{sid}.",
            sid,
            f"{sid[:-1]}{_other(sid[-1])}.{mac}",
        ]
        for cookie in forged:
            async with _client(cookies={COOKIE: cookie}) as mallory:
                async with mallory.get(url + "/api/history") as r:
                    texts = [e["text"] for e in (await r.json())["entries"]]
                    given = r.cookies[COOKIE].value
                assert "万东路修好了吗" not in texts
                assert given.split(".")[0] != sid


async def test_the_page_weighs_under_60_kb_gzipped_and_loads_nothing_from_elsewhere(
    holder, tmp_path
):
    async with serving(web_only(tmp_path), holder) as (url, _), _client() as s:
        async with s.get(url) as r:
            page = await r.text()
        assert "http://" not in page and "https://" not in page  # no CDN, no external fonts
        files = re.findall(r'(?:href|src)="(/chat/static/[^"]+)"', page)
        assert sorted(f.split("?")[0] for f in files) == [
            "/chat/static/chat.css",
            "/chat/static/chat.js",
        ]
        total = len(gzip.compress(page.encode("utf-8")))
        for f in files:
            async with s.get(
                url.split("/chat")[0] + f,
                headers={"Accept-Encoding": "gzip"},
                auto_decompress=False,
            ) as r:
                assert r.headers["Content-Encoding"] == "gzip"
                body = await r.read()
                assert b"http://" not in gzip.decompress(
                    body
                ) and b"https://" not in gzip.decompress(body)
                total += len(body)
        assert total <= 60 * 1024


def test_the_web_section_is_validated_like_the_rest(tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("web:\n  allowed_origins: [www.example.org]\n  colour: red\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert "web.allowed_origins" in str(e.value) and "web.colour" in str(e.value)
    good = tmp_path / "good.yaml"
    good.write_text(
        f"web:\n  allowed_origins: [https://www.example.gov.cn]\n  session_secret: {SECRET}\n",
        encoding="utf-8",
    )
    assert load_config(good).web.allowed_origins == ["https://www.example.gov.cn"]
    assert configured(load_config(good)) == ["web"]  # registered, and run by its section alone
    off = tmp_path / "off.yaml"
    off.write_text("web:\n  enabled: false\n", encoding="utf-8")
    assert configured(load_config(off)) == [] and channel_problem(load_config(off)) is not None
