"""Questions and button presses from the page -> conversation entries (JSON-ready dicts).

The web page cannot push notices, so subscribing points to the configured notice instead;
`/forget` (the 删除我的记录 button) asks once, then deletes everything kept about the session.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

from bot import actions, regexcache
from bot.channels.base import Core
from bot.channels.web.history import History
from bot.channels.web.settings import WebConfig
from bot.commands import Commands
from bot.conversation import Conversation
from bot.dialogue import Dialogue
from bot.models import Button, Message, Reply

log = logging.getLogger(__name__)

CHANNEL = "web"
PREFIX = "web"  # user keys are web:<session id>
FORGET_WORDS = frozenset({"删除我的记录", "删除记录"})  # and /forget, a command
# The page's own payloads (its 删除我的记录 button and the two answers to its question).
FORGET, FORGET_YES, FORGET_NO = "web:forget", "web:forget:yes", "web:forget:no"
SUBSCRIPTION_COMMANDS = frozenset({"subscribe", "unsubscribe", "mysubs"})
CONFIRM_FORGET = "确定要删除您在这里的全部记录吗？删除后无法恢复。"
KEPT = "好的，记录没有删除。"
SUBSCRIPTION_ACTIONS = frozenset({"sub", "unsub", actions.MYSUBS})
MAX_ACTION = 64  # the longest button payload any channel accepts
_NUMBER_RE = regexcache.compile(r"\s*(\d{1,2})\s*")


def user_key_of(session_id: str) -> str:
    return f"{PREFIX}:{session_id}"


@dataclass
class Outcome:
    """What one request changed: entries appended, an entry updated, or a new session."""

    added: list[dict] = field(default_factory=list)
    updated: dict | None = None
    new_session: str | None = None  # after /forget: the id of the fresh, empty conversation


def entry_of(reply: Reply) -> dict:
    """A bot entry: text, optional quote, and numbered buttons (typing the number presses it)."""
    rows, n = [], 0
    for row in reply.buttons:
        out = []
        for b in row:
            n += 1
            # In a numbered project list a typed number means that project, not a button.
            out.append(
                {
                    "label": b.label,
                    "action": b.action,
                    "n": None if reply.numbers_pick_projects else n,
                }
            )
        rows.append(out)
    return {"who": "bot", "text": reply.text, "quote": reply.quote, "buttons": rows}


class WebResponder:
    def __init__(self, core: Core, config: WebConfig, new_id):
        self.core = core
        self.config = config
        self.new_id = new_id  # issues the id of the conversation that follows a /forget
        self.commands: Commands = core.conversation.commands
        # The page cannot be reached by a push: its dialogue has no subscription store, so a
        # resident's 订阅 never leaves a subscriber nobody can notify (they get the notice).
        no_push = dataclasses.replace(core.services, subscriptions=None)
        self.conversation = Conversation(Dialogue(no_push), self.commands)
        self.history = History(config.history_max, config.history_hours * 3600)
        self.commands.forgetters.append(self._forget_memory)

    def _message(self, session_id: str, text: str) -> Message:
        return self.core.message(CHANNEL, session_id, text, prefix=PREFIX)

    def _forget_memory(self, user_key: str) -> None:
        if user_key.startswith(PREFIX + ":"):
            self.history.forget(user_key[len(PREFIX) + 1 :])

    async def so_far(self, session_id: str) -> list[dict]:
        """The entries to draw; a new conversation starts with the help text."""
        entries = self.history.entries(session_id)
        if not entries:
            reply = await self.conversation.press(self._message(session_id, ""), actions.HELP)
            entries = [self.history.add(session_id, entry_of(reply))]
        return entries

    async def ask(self, session_id: str, text: str) -> Outcome:
        """A typed question: a number presses the last answer's button of that number."""
        # One character over the limit is kept: the router's too-long answer still fires.
        text = text[: self.config.max_text + 1]
        me = self.history.add(session_id, {"who": "me", "text": text})
        command = Commands.parse(text)
        if text.strip() in FORGET_WORDS or (command and command[0] == "forget"):
            return Outcome([me, self._add(session_id, self._confirm())])
        if command and command[0] in SUBSCRIPTION_COMMANDS:
            return Outcome([me, self._notice(session_id)])
        m = _NUMBER_RE.fullmatch(text)
        last = self.history.last_bot(session_id)
        if m and last is not None:
            for b in (b for row in last["buttons"] for b in row):
                if b["n"] == int(m.group(1)):
                    out = await self._act(session_id, b["action"], None)
                    out.added.insert(0, me)
                    return out
        reply = await self.conversation.handle(self._message(session_id, text))
        if reply.route is not None and reply.route.intent in ("subscribe", "unsubscribe"):
            return Outcome([me, self._notice(session_id)])
        return Outcome([me, self._add(session_id, reply)])

    async def press(self, session_id: str, action: str, of: int | None) -> Outcome:
        """A button: its label is shown as the resident's turn; 查看原文 opens under its answer."""
        action = action[:MAX_ACTION]
        source = self.history.find(session_id, of) if of is not None else None
        label = next(
            (
                b["label"]
                for row in (source or {}).get("buttons", [])
                for b in row
                if b["action"] == action
            ),
            None,
        )
        out = await self._act(session_id, action, source)
        if label is not None and out.updated is None and out.new_session is None:
            out.added.insert(0, self.history.add(session_id, {"who": "me", "text": label}))
        return out

    async def _act(self, session_id: str, action: str, source: dict | None) -> Outcome:
        kind = action.partition(":")[0]
        if kind in SUBSCRIPTION_ACTIONS:
            return Outcome([self._notice(session_id)])
        if action == FORGET:
            return Outcome([self._add(session_id, self._confirm())])
        if action == FORGET_YES:
            return await self._forget(session_id)
        if action == FORGET_NO:
            return Outcome([self._add(session_id, Reply(KEPT))])
        reply = await self.conversation.press(self._message(session_id, ""), action)
        if not reply.text.strip():  # a malformed admin button: nothing to show
            return Outcome()
        if kind == "src" and reply.quote and source is not None and source["who"] == "bot":
            source["quote"] = reply.quote  # shown opened under the answer it belongs to
            source["open"] = True
            return Outcome(updated=source)
        return Outcome([self._add(session_id, reply)])

    def _add(self, session_id: str, reply: Reply) -> dict:
        return self.history.add(session_id, entry_of(reply))

    def _confirm(self) -> Reply:
        return Reply(
            CONFIRM_FORGET, [[Button("确定删除", FORGET_YES), Button("不删除", FORGET_NO)]]
        )

    def _notice(self, session_id: str) -> dict:
        entry = {"who": "bot", "text": self.config.subscribe_notice, "quote": None, "buttons": []}
        if self.config.subscribe_link is not None:
            entry["link"] = {
                "label": self.config.subscribe_link_label,
                "url": str(self.config.subscribe_link),
            }
        return self.history.add(session_id, entry)

    async def _forget(self, session_id: str) -> Outcome:
        """/forget as on every channel (rows, question log, audit, context, this history), then
        a new session for whatever the resident does next."""
        try:
            reply = await self.commands.run(self._message(session_id, "/forget"))
        except Exception:
            log.exception("forgetting a web session failed")
            return Outcome([self._add(session_id, Reply("抱歉，删除没有完成，请稍后再试。"))])
        self.history.forget(session_id)  # in case the command's forgetters did not run
        fresh = self.new_id()
        return Outcome([self._add(fresh, Reply(reply.text))], new_session=fresh)
