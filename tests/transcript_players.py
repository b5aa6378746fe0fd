"""Play one transcript (tests/transcripts/*.yaml) against a real channel, seen as a person sees it.

Each player runs the whole bot as `python -m bot run` / `chat` does (bot.app.App) on a fresh
SQLite file, and reduces what a person receives to (text, option labels):
- console: the terminal text, with its "[1] 条件  [2] 怎么办" line as the options;
- Telegram: the real PTB Application against the fake Bot API; HTML tags dropped and entities
  unescaped, inline keyboard labels as the options; a choice presses the button;
- WeChat: signed XML posted to the real aiohttp endpoint; "回复 1 条件" lines as the options,
  a choice types its number; pushes arrive at the fake WeChat API as customer-service text.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from dataclasses import dataclass, field

import aiohttp
from tgharness import REPLY_TIMEOUT, running_bot
from tgupdates import callback_update, text_update, tg_user
from wechat_support import APP_ID, TOKEN, FakeWeChat, fake_wechat_api

from bot.app import App
from bot.config import Config

RESIDENT, ADMIN = "居民", "管理员"
WAIT = 20.0


@dataclass
class Seen:
    text: str
    options: list[str] = field(default_factory=list)


def _split_console(out: str) -> Seen:
    lines = out.split("\n")
    if len(lines) >= 2 and lines[-1] == "（输入编号选择）":
        options = re.findall(r"\[\d+\] (\S+(?: \S+)*?)(?=  \[|$)", lines[-2])
        return Seen("\n".join(lines[:-2]), options)
    return Seen(out)


def _split_wechat(content: str) -> Seen:
    lines = content.split("\n")
    options = []
    while lines and re.match(r"^回复 \d+ ", lines[-1]):
        options.insert(0, lines.pop().split(" ", 2)[2])
    return Seen("\n".join(lines), options)


def _plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


# ---- console ------------------------------------------------------------------------------
class ConsolePlayer:
    label = "控制台"
    ids = {RESIDENT: "resident", ADMIN: "local"}

    def __init__(self, holder, db_url: str):
        config = Config.model_validate(
            {
                "database": {"url": db_url},
                "knowledge": {"watch": False},
                # The privacy notice and 有用/没用 rows are played in tests/test_privacy_*.py.
                "privacy": {"notices": False},
                "feedback": {"buttons": False},
                "admins": {"console": ["local"]},
            }
        )
        self.app = App(config, holder, channels=["console"], question_log=False)
        self.out: list[str] = []
        self._read = 0
        self.last: dict[str, Seen] = {}

    async def __aenter__(self):
        await self.app.start()
        self.console = self.app.channel("console")
        self.console.out = self.out.append
        return self

    async def __aexit__(self, *exc):
        await self.app.stop()

    @property
    def db(self):
        return self.app.db

    async def say(self, who: str, text: str) -> Seen:
        seen = _split_console(await self.console.say(text, self.ids[who]))
        self.last[who] = seen
        return seen

    async def choose(self, who: str, label: str) -> Seen:
        return await self.say(who, str(self.last[who].options.index(label) + 1))

    async def pushed(self, who: str) -> str:
        return await self._next_out(lambda t: t.startswith("【推送】"), "【推送】")

    async def report(self, who: str) -> str:
        return await self._next_out(lambda t: not t.startswith("【推送】"), "")

    async def _next_out(self, wanted, prefix: str) -> str:
        for _ in range(int(WAIT / 0.05)):
            for i, t in enumerate(self.out):
                if i >= self._read and wanted(t):
                    self.out.pop(i)
                    return t[len(prefix) :]
            await asyncio.sleep(0.05)
        raise TimeoutError(f"nothing printed; printed so far: {self.out}")


# ---- Telegram ----------------------------------------------------------------------------
class TelegramPlayer:
    label = "Telegram"
    ids = {RESIDENT: 42, ADMIN: 1}

    def __init__(self, holder, db_url: str, api):
        self.api = api
        self.config = Config.model_validate(
            {
                "database": {"url": db_url},
                "knowledge": {"watch": False},
                # The privacy notice and 有用/没用 rows are played in tests/test_privacy_*.py.
                "privacy": {"notices": False},
                "feedback": {"buttons": False},
                "telegram": {"token": api.token, "base_url": api.base_url},
                "admins": {"telegram": [1]},
                "broadcast": {"status_interval": 0.2},
            }
        )
        self.holder = holder
        self.last: dict[str, object] = {}  # who -> the Call of the last message they got
        self._seen: dict[int, int] = {}  # chat -> sendMessage calls already read

    async def __aenter__(self):
        self._ctx = running_bot(self.api, self.holder, self.config)
        self.bot = await self._ctx.__aenter__()
        return self

    async def __aexit__(self, *exc):
        await self._ctx.__aexit__(*exc)

    @property
    def db(self):
        return self.bot.running["db"]

    def _named(self, update: dict, who: str) -> dict:
        for key in ("message", "callback_query"):
            if key in update:
                update[key]["from"] = tg_user(self.ids[who], "王主任" if who == ADMIN else "居民")
        return update

    async def _next(self, chat: int, method: str = "sendMessage") -> object:
        n = self._seen.get((chat, method), 0) + 1
        calls = await self.api.wait_for(method, n, REPLY_TIMEOUT, chat, ok=True)
        self._seen[(chat, method)] = n
        return calls[-1]

    def _seen_of(self, who: str, call) -> Seen:
        self.last[who] = call
        rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
        return Seen(_plain(call.params["text"]), [b["text"] for row in rows for b in row])

    async def say(self, who: str, text: str) -> Seen:
        uid = self.ids[who]
        self.api.push(self._named(text_update(uid, text), who))
        return self._seen_of(who, await self._next(uid))

    async def choose(self, who: str, label: str) -> Seen:
        uid, on = self.ids[who], self.last[who]
        rows = on.params.get("reply_markup", {}).get("inline_keyboard", [])
        [data] = [b["callback_data"] for row in rows for b in row if b["text"] == label]
        sends = len(self.api.of("sendMessage", uid, ok=True))
        edits = len(self.api.of("editMessageText", uid, ok=True))
        self.api.push(self._named(callback_update(uid, data, on.result), who))
        for _ in range(int(WAIT / 0.02)):  # the answer is a new message or the pressed one edited
            if len(self.api.of("sendMessage", uid, ok=True)) > sends:
                return self._seen_of(who, await self._next(uid))
            if len(self.api.of("editMessageText", uid, ok=True)) > edits:
                call = await self._next(uid, "editMessageText")
                self.last[who] = on  # the edited message keeps its place
                return self._seen_of(who, call)
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no answer to pressing {label}")

    async def pushed(self, who: str) -> str:
        return _plain((await self._next(self.ids[who])).params["text"])

    report = pushed


# ---- WeChat --------------------------------------------------------------------------------
class WeChatPlayer:
    label = "微信"
    ids = {RESIDENT: "oResident", ADMIN: "oAdmin"}

    def __init__(self, holder, db_url: str, **extra):
        self.holder = holder
        self.db_url = db_url
        self.extra = extra  # more config: {"knowledge": {...}, "staff": {...}}
        self.last: dict[str, Seen] = {}
        self._read: dict[str, int] = {}

    async def __aenter__(self):
        self._stack = contextlib.AsyncExitStack()
        self.wxapi, base = await self._stack.enter_async_context(fake_wechat_api())
        config = Config.model_validate(
            {
                "database": {"url": self.db_url},
                "knowledge": {"watch": False},
                # The privacy notice and 有用/没用 rows are played in tests/test_privacy_*.py.
                "privacy": {"notices": False},
                "feedback": {"buttons": False},
                "wechat": {
                    "token": TOKEN,
                    "app_id": APP_ID,
                    "app_secret": self.wxapi.secret,
                    "api_base_url": base,
                    "reply_max_bytes": 20000,
                    "admins": ["oAdmin"],
                },
                "broadcast": {"status_interval": 0.2},
                **self.extra,
            }
        )
        # Port 0: the OS picks a free port (the schema wants 1..65535 from people).
        config.wechat = config.wechat.model_copy(update={"port": 0})
        self.app = App(config, self.holder)
        await self.app.start()
        self._stack.push_async_callback(self.app.stop)
        host, port = self.app.web.bound[0]
        session = await self._stack.enter_async_context(aiohttp.ClientSession())
        self.wx = FakeWeChat(session, f"http://{host}:{port}/wechat")
        return self

    async def __aexit__(self, *exc):
        await self._stack.aclose()

    @property
    def db(self):
        return self.app.db

    async def say(self, who: str, text: str) -> Seen:
        seen = _split_wechat(await self.wx.ask(self.ids[who], text))
        self.last[who] = seen
        return seen

    async def choose(self, who: str, label: str) -> Seen:
        return await self.say(who, str(self.last[who].options.index(label) + 1))

    async def pushed(self, who: str) -> str:
        """The next customer-service text WeChat's API was asked to deliver to them."""
        openid = self.ids[who]
        for _ in range(int(WAIT / 0.05)):
            texts = [
                b["text"]["content"]
                for e, b in self.wxapi.calls
                if e == "message/custom/send" and b.get("touser") == openid
            ]
            if len(texts) > self._read.get(openid, 0):
                self._read[openid] = self._read.get(openid, 0) + 1
                return texts[self._read[openid] - 1]
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no push to {who}; calls: {self.wxapi.calls}")

    report = pushed
