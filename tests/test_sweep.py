"""Per-user memory expires by time: the periodic sweep empties every cache of idle users,
not only the ones a later read happens to look at."""

from __future__ import annotations

import time

from bot.channels.telegram.gate import PASS, FloodGate
from bot.channels.wechat.render import Continuations
from bot.dialogue import Dialogue
from bot.models import Message
from bot.sweep import sweep_all

USERS = 300


async def test_contexts_of_idle_users_are_swept_after_their_ttl(services):
    dialogue = Dialogue(services)
    for i in range(USERS):
        await dialogue.respond(Message("telegram", f"tg:{i}", "万东路修好了吗", chat_key=str(i)))
    assert len(services.contexts) == USERS
    now = time.monotonic()
    assert services.contexts.sweep(now) == 0  # nobody is idle yet
    assert services.contexts.sweep(now + services.contexts.ttl + 1) == USERS
    assert len(services.contexts) == 0


def test_flood_windows_and_pages_are_swept_once_they_are_empty():
    gate, pages = FloodGate(5, 10.0), Continuations(ttl=60.0)
    now = time.monotonic()
    for i in range(USERS):
        assert gate.check(i, now) == PASS
        pages.put(f"wx:{i}", ["第二页"])
    assert gate.sweep(now + 5) == 0 and pages.sweep(now + 5) == 0
    assert gate.sweep(now + 11) == USERS and pages.sweep(now + 61) == USERS
    assert pages.next("wx:1") is None


def test_sweep_all_visits_every_registered_cache(services):
    services.contexts.put("tg:1", services.contexts.get("tg:1"))
    services.contexts.ttl = -1  # everything is past its time
    assert sweep_all(services.caches) == 1
