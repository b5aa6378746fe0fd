"""The front door every channel talks to: a command, a button or a question in, a Reply out."""

from __future__ import annotations

from bot import actions
from bot.commands import Commands
from bot.dialogue import Dialogue
from bot.models import Message, Reply
from handlers import smalltalk


class Conversation:
    """Commands first (with their roles), then the residents' dialogue."""

    def __init__(self, dialogue: Dialogue, commands: Commands):
        self.dialogue = dialogue
        self.commands = commands

    async def handle(self, msg: Message, numbered: bool = False) -> Reply:
        """A text message. `numbered`: a text-only channel, whose options are typed numbers."""
        async with self.dialogue.services.contexts.turn(msg.user_key):
            return await self._handle(msg, numbered)

    async def _handle(self, msg: Message, numbered: bool) -> Reply:
        if numbered:
            picked = self.dialogue.pick(msg.user_key, msg.text)
            if picked is not None:
                return await self._press(msg, picked.action, numbered)
        if Commands.parse(msg.text) is not None:
            reply = await self.commands.run(msg)
            return self.dialogue.keep(msg, reply, numbered)
        return await self.dialogue.respond(msg, numbered)

    async def press(self, msg: Message, payload: str, numbered: bool = False) -> Reply:
        """A button, a menu key or a typed option number: its payload (bot.actions)."""
        async with self.dialogue.services.contexts.turn(msg.user_key):
            return await self._press(msg, payload, numbered)

    async def _press(self, msg: Message, payload: str, numbered: bool) -> Reply:
        if actions.is_admin_payload(payload):
            reply = await self.commands.press(msg, payload)
            return self.dialogue.keep(msg, reply, numbered)
        return await self.dialogue.act(msg, payload, numbered)

    def unreadable(self, msg: Message, numbered: bool = False) -> Reply:
        """A photo, a sticker, voice without text: we read text only."""
        return self.dialogue.keep(msg, smalltalk.unreadable(self.dialogue.services.kb.kb), numbered)
