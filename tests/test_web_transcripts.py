"""The shared transcripts a resident can play on the web page, played there: the same words as
on the console, Telegram and WeChat; only the rendering (JSON entries and buttons) differs.

Not played here: subscribing (the page shows its notice instead: test_web_api), /forget (the
page asks once first: test_web_api, test_web_browser), and the admin transcripts (the page has
no admins)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
import yaml
from test_transcripts import _check_text
from transcript_players import RESIDENT, Seen
from websupport import SECRET, csrf_of

from bot.app import App
from bot.channels.web.settings import WebConfig
from bot.config import Config

TRANSCRIPTS = Path(__file__).parent / "transcripts"
PLAYED = [
    "01-question-and-follow-up.yaml",
    "02-choice-by-number-or-button.yaml",
    *sorted(p.name for p in TRANSCRIPTS.glob("*-self-check*.yaml")),  # every persona (issue 16)
]


class WebPlayer:
    """The bot as `run` starts it with only a web section; a browser's requests, by hand."""

    label = "网页"

    def __init__(self, holder, db_url: str):
        web = WebConfig(session_secret=SECRET).model_copy(update={"port": 0})
        # As on the other channels, the privacy notice and 有用/没用 rows are played in
        # tests/test_privacy_*.py, not here.
        config = Config(
            web=web,
            database={"url": db_url},
            knowledge={"watch": False},
            privacy={"notices": False},
            feedback={"buttons": False},
        )
        self.app = App(config, holder, channels=["web"], question_log=False)
        self.last: dict | None = None

    async def __aenter__(self):
        await self.app.start()
        host, port = self.app.web.bound[0]
        self.url = f"http://{host}:{port}/chat"
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with self.http.get(self.url) as r:
            self.headers = {"X-CSRF-Token": csrf_of(await r.text()), "Origin": self.url[:-5]}
        return self

    async def __aexit__(self, *exc):
        await self.http.close()
        await self.app.stop()

    async def _post(self, path: str, body: dict) -> Seen:
        async with self.http.post(self.url + path, json=body, headers=self.headers) as r:
            assert r.status == 200, await r.text()
            entry = (await r.json())["entries"][-1]
        self.last = entry
        return Seen(entry["text"], [b["label"] for row in entry["buttons"] for b in row])

    async def say(self, who: str, text: str) -> Seen:
        return await self._post("/api/message", {"text": text})

    async def choose(self, who: str, label: str) -> Seen:
        button = next(b for row in self.last["buttons"] for b in row if b["label"] == label)
        return await self._post("/api/action", {"action": button["action"], "of": self.last["id"]})


@pytest.mark.parametrize("name", PLAYED)
async def test_transcript_on_the_web_page(name, holder, tmp_path):
    script = yaml.safe_load((TRANSCRIPTS / name).read_text(encoding="utf-8"))
    async with WebPlayer(holder, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as player:
        seen = None
        for i, step in enumerate(script["steps"], 1):
            where = f"{name} step {i} on the web page"
            assert set(step) <= {RESIDENT, f"{RESIDENT}选", "民心通", "选项"}, where
            if RESIDENT in step:
                seen = await player.say(RESIDENT, str(step[RESIDENT]))
            if f"{RESIDENT}选" in step:
                seen = await player.choose(RESIDENT, step[f"{RESIDENT}选"])
            if "民心通" in step:
                _check_text(seen.text, step["民心通"], player.label, where)
            if "选项" in step:
                assert seen.options == step["选项"], where
