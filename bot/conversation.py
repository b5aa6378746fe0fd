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

    async def handle(self, msg: Message) -> Reply:
        """A text message: a /command, or a question."""
        async with self.dialogue.services.contexts.turn(msg.user_key):
            return await self._handle(msg)

    async def _handle(self, msg: Message) -> Reply:
        if Commands.parse(msg.text) is not None:
            return await self.commands.run(msg)
        return await self.dialogue.respond(msg)

    async def press(self, msg: Message, payload: str) -> Reply:
        """A button, a menu key or a typed option number: its payload (bot.actions)."""
        async with self.dialogue.services.contexts.turn(msg.user_key):
            return await self._press(msg, payload)

    async def _press(self, msg: Message, payload: str) -> Reply:
        if actions.is_admin_payload(payload):
            return await self.commands.press(msg, payload)
        return await self.dialogue.act(msg, payload)

    def unreadable(self, msg: Message) -> Reply:
        """A photo, a sticker, voice without text: we read text only."""
        return smalltalk.unreadable(self.dialogue.services.kb.kb)
