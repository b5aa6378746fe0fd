"""The console as a channel: a terminal where staff rehearse what residents and admins see.

Buttons become numbered options ([1] 条件) typed as numbers; subscriptions, /mysubs, /forget
and (for a console admin) /progress and /broadcast work as on any other channel, on the
storage bot.app gives it (an embedded SQLite file by default). Pushes print to the terminal.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import Channel, Core, Sender
from bot.channels.console_render import USER, render
from bot.channels.text import TextTurns
from bot.models import Message, Reply
from bot.web import WebServer

PAGE_BYTES = 1_000_000  # a terminal scrolls: no pages


class ConsoleSender(Sender):
    """A push to the console user: printed, marked as a notice."""

    rate_per_second = 1000.0

    def __init__(self, out: Callable[[str], None]):
        self.out = out

    async def send(self, chat_id: str, text: str) -> None:
        self.out(f"【推送】{text}")


class ConsoleChannel(Channel):
    name = "console"
    label = "控制台"

    def __init__(self, core: Core, settings=None, out: Callable[[str], None] = print):
        super().__init__(core, settings)
        self.out = out
        self.turns = TextTurns(core.conversation, render, PAGE_BYTES)
        self.turns.on_job = self._follow

    async def start(self, web: WebServer) -> None:
        """Nothing to serve: the terminal is read by `say`."""

    async def stop(self) -> None:
        """Nothing to release."""

    def sender(self) -> ConsoleSender:
        return ConsoleSender(lambda text: self.out(text))  # `out` may be swapped (tests)

    def render(self, reply: Reply) -> str:
        return render(reply)

    async def say(self, text: str, user: str = USER) -> str:
        """One line typed at the terminal -> the text shown in answer."""
        msg = self.core.message("console", user, text, prefix="console", user_name="控制台")
        await self.core.store.touch_user(msg.user_key, "console", user)  # pushes reach it
        return await self.turns.answer(msg)

    def _follow(self, msg: Message, job_id: int) -> None:
        async def report(text: str) -> None:
            self.out(text)

        if self.core.desk is not None:
            self.core.desk.follow(job_id, None, report)
