"""Questions and button presses from the page -> conversation entries (JSON-ready dicts).

The web page cannot push notices, so subscribing points to the configured notice instead;
`/forget` (the 删除我的记录 button) asks once, then deletes everything kept about the session.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field

from bot.channels.web.history import History
from bot.channels.web.settings import WebConfig
from bot.dialogue import Dialogue
from bot.models import Button, Message, Reply
from bot.services import Services
from bot.storage.forget import forget_person

log = logging.getLogger(__name__)

CHANNEL = "web"
FORGET_WORDS = frozenset({"/forget", "删除我的记录", "删除记录"})
CONFIRM_FORGET = "确定要删除您在这里的全部记录吗？删除后无法恢复。"
FORGOTTEN = "已删除您在民心通的全部记录（对话和提问记录）。以后仍可随时提问。"
KEPT = "好的，记录没有删除。"
SUBSCRIPTION_ACTIONS = frozenset({"sub", "unsub", "mysubs"})
MAX_ACTION = 64  # the longest button payload any channel accepts
_NUMBER_RE = re.compile(r"\s*(\d{1,2})\s*")


def user_key_of(session_id: str) -> str:
    return f"web:{session_id}"


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
    def __init__(self, services: Services, config: WebConfig, new_id, db=None):
        # Without a subscription store the dialogue never subscribes a page that cannot be reached.
        self.services = dataclasses.replace(services, subscriptions=None)
        self.config = config
        self.db = db
        self.new_id = new_id  # issues the id of the conversation that follows a /forget
        self.dialogue = Dialogue(self.services)
        self.history = History(config.history_max, config.history_hours * 3600)

    def _message(self, session_id: str, text: str) -> Message:
        key = user_key_of(session_id)
        return Message(CHANNEL, key, text, chat_key=key)

    async def conversation(self, session_id: str) -> list[dict]:
        """The entries to draw; a new conversation starts with the help text."""
        entries = self.history.entries(session_id)
        if not entries:
            reply = await self.dialogue.act(self._message(session_id, ""), "help")
            entries = [self.history.add(session_id, entry_of(reply))]
        return entries

    async def ask(self, session_id: str, text: str) -> Outcome:
        """A typed question: a number presses the last answer's button of that number."""
        text = text[
            : self.config.max_text + 1
        ]  # one over: the router's too-long answer still fires
        me = self.history.add(session_id, {"who": "me", "text": text})
        if text.strip().lower() in FORGET_WORDS:
            return Outcome([me, self._add(session_id, self._confirm())])
        m = _NUMBER_RE.fullmatch(text)
        last = self.history.last_bot(session_id)
        if m and last is not None:
            for b in (b for row in last["buttons"] for b in row):
                if b["n"] == int(m.group(1)):
                    out = await self._act(session_id, b["action"], None)
                    out.added.insert(0, me)
                    return out
        reply = await self.dialogue.respond(self._message(session_id, text))
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
        if action == "forget":
            return Outcome([self._add(session_id, self._confirm())])
        if action == "forget:yes":
            return await self._forget(session_id)
        if action == "forget:no":
            return Outcome([self._add(session_id, Reply(KEPT))])
        reply = await self.dialogue.act(self._message(session_id, ""), action)
        if kind == "src" and reply.quote and source is not None and source["who"] == "bot":
            source["quote"] = reply.quote  # shown opened under the answer it belongs to
            source["open"] = True
            return Outcome(updated=source)
        return Outcome([self._add(session_id, reply)])

    def _add(self, session_id: str, reply: Reply) -> dict:
        return self.history.add(session_id, entry_of(reply))

    def _confirm(self) -> Reply:
        return Reply(
            CONFIRM_FORGET, [[Button("确定删除", "forget:yes"), Button("不删除", "forget:no")]]
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
        """Delete the session's rows, question log, context and history; start a new session."""
        key = user_key_of(session_id)
        try:  # the same deletion as every channel's /forget: rows, question log, audit, context
            removed = await forget_person(self.services, self.db, key)
        except Exception:
            log.exception("forgetting a web session failed")
            return Outcome([self._add(session_id, Reply("抱歉，删除没有完成，请稍后再试。"))])
        self.history.forget(session_id)
        log.info("web session forgotten: %d rows removed", removed)
        fresh = self.new_id()
        return Outcome([self._add(fresh, Reply(FORGOTTEN))], new_session=fresh)
