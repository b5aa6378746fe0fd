"""`chat` (interactive console) and `ask` (one question, one answer)."""

from __future__ import annotations

import asyncio
import sys

from bot.channels.console import render
from bot.cli.common import holder_of
from bot.dialogue import Dialogue
from bot.models import Message
from bot.services import Services

PROMPT = "您> "
USER = "console:local"


def register(sub) -> None:
    p = sub.add_parser("chat", help="interactive console chat on the bundled knowledge base")
    p.set_defaults(func=run_chat)
    p = sub.add_parser("ask", help="answer one question and exit")
    p.add_argument("question")
    p.set_defaults(func=run_ask)


def run_ask(args) -> int:
    dialogue = Dialogue(Services(holder_of(args)))
    reply = asyncio.run(dialogue.respond(Message("console", USER, args.question)))
    print(render(reply))
    return 0


def run_chat(args) -> int:
    dialogue = Dialogue(Services(holder_of(args)))
    interactive = sys.stdin.isatty()
    print("民心通：您好！请直接提问，输入“退出”结束。")
    while True:
        try:
            line = input(PROMPT if interactive else "")
        except EOFError:
            break
        if line.strip() in ("退出", "exit", "quit"):
            break
        reply = asyncio.run(dialogue.respond(Message("console", USER, line), numbered=True))
        print("民心通：" + render(reply) + "\n", flush=True)
    print("再见！")
    return 0
