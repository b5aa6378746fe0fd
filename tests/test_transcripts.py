"""The same transcripts on every channel: tests/transcripts/*.yaml, played against the console,
Telegram (real PTB Application + fake Bot API) and WeChat (real aiohttp endpoint + signed XML).

A transcript is a list of steps; the words are what a person sees:
    居民: / 管理员:         what they send
    居民选: / 管理员选:     the option they choose (a button pressed, or its number typed)
    民心通:                 the exact text of the answer (a line ending in … matches its start)
    选项:                   the option labels offered with it
    推送给居民: / 报告给管理员:  what arrives later (a broadcast, its delivery report)
    拒绝记录:               the audit log's refused attempts, newest first
Only the rendering differs between channels; {渠道} and {今天} stand for the channel's name
and today's date in Tianjin.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from transcript_players import ADMIN, RESIDENT, ConsolePlayer, TelegramPlayer, WeChatPlayer

from bot.storage.audit import AuditRepo

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))
CHANNELS = ("console", "telegram", "wechat")


def _today() -> str:
    d = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return f"{d.year}年{d.month}月{d.day}日"


def _check_text(got: str, expected: str, label: str, where: str) -> None:
    want = expected.rstrip("\n").replace("{渠道}", label).replace("{今天}", _today()).split("\n")
    lines = got.rstrip("\n").split("\n")
    if want and want[-1] == "…":  # the rest of the answer is not this transcript's concern
        want, lines = want[:-1], lines[: len(want) - 1]
    assert len(lines) == len(want), f"{where}: got\n{got}"
    for g, w in zip(lines, want, strict=True):
        ok = g.startswith(w[:-1]) if w.endswith("…") else g == w
        assert ok, f"{where}: line {g!r}, expected {w!r}; whole answer:\n{got}"


def _player(channel: str, holder, tmp_path, api):
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    if channel == "console":
        return ConsolePlayer(holder, db_url)
    if channel == "telegram":
        return TelegramPlayer(holder, db_url, api)
    return WeChatPlayer(holder, db_url)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript(path, channel, holder, tmp_path, api, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)  # only the channel played runs
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    async with _player(channel, holder, tmp_path, api) as player:
        seen = None
        for i, step in enumerate(script["steps"], 1):
            where = f"{path.name} step {i} on {channel}"
            for who in (RESIDENT, ADMIN):
                if who in step:
                    seen = await player.say(who, str(step[who]))
                if f"{who}选" in step:
                    seen = await player.choose(who, step[f"{who}选"])
            if "民心通" in step:
                _check_text(seen.text, step["民心通"], player.label, where)
            if "选项" in step:
                assert seen.options == step["选项"], where
            if "推送给居民" in step:
                _check_text(await player.pushed(RESIDENT), step["推送给居民"], player.label, where)
            if "报告给管理员" in step:
                _check_text(await player.report(ADMIN), step["报告给管理员"], player.label, where)
            if "拒绝记录" in step:
                refused = await AuditRepo(player.db).recent(action="refused")
                assert [e.details for e in refused] == step["拒绝记录"], where
