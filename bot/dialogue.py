"""Dialogue: apply per-user context to a route, pick the handler, remember what was said."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot import actions
from bot.context import Context
from bot.intents import PROJECT_INTENTS
from bot.models import Message, Reply, Route
from bot.naming import number_of
from bot.privacy import Redacted, scan
from bot.router import Analysis
from bot.services import Services
from handlers import (
    browse,
    feedback,
    handoff,
    privacy,
    projects,
    smalltalk,
    subscriptions,
    suggestions,
)

log = logging.getLogger(__name__)

INHERITED_CONFIDENCE = 0.8
MAX_NEW_WORDS = 2  # a follow-up may bring this many words the KB does not know
ASK_CONFIDENCE = 0.5  # below this, close candidates become a "did you mean" choice
ANSWERED, ASKED_BACK, OUT_OF_SCOPE = "answered", "asked_back", "out_of_scope"  # question log


def _follows_up(a: Analysis) -> bool:
    """A question about the last project: it asks something (怎么申请 / 订阅一下) and brings
    at most a couple of new words (那啥时候开始营业 / 我是今年毕业的能报吗), none of them
    out of scope: 今天天气怎么样 asks too, but 天气 is a topic of its own."""
    if a.cue_intent is None or a.off_topic:
        return False
    if a.route.intent not in (*PROJECT_INTENTS, "subscribe", "unsubscribe", "out_of_scope"):
        return False  # 谢谢 / 转人工 / 民心工程有哪些 are not about the project
    return len(a.unknown_words) <= MAX_NEW_WORDS


def _asks_back(route: Route) -> bool:
    """Close candidates and low confidence: the bot asks which project was meant."""
    return bool(route.alternatives) and route.confidence < ASK_CONFIDENCE


class Dialogue:
    def __init__(self, services: Services):
        self.services = services

    # ---- understanding -------------------------------------------------------------------
    def understand(self, user_key: str, text: str) -> Route:
        """Route one message for one user, using and updating that user's context."""
        ctx = self.services.contexts.get(user_key)
        route = self._with_context(ctx, text)
        self._remember(user_key, ctx, route)
        return route

    def _with_context(self, ctx: Context, text: str) -> Route:
        a = self.services.kb.router.analyse(text)
        r = a.route
        if r.too_long:
            return r
        if r.project is None and ctx.last_project is not None and _follows_up(a):
            return Route(ctx.last_project, a.cue_intent, INHERITED_CONFIDENCE, inherited=True)
        if r.intent == "out_of_scope":
            return r
        if r.project is not None and a.elliptical and ctx.last_intent in PROJECT_INTENTS:
            return Route(r.project, ctx.last_intent, r.confidence, r.alternatives)
        return r

    def _remember(self, user_key: str, ctx: Context, route: Route) -> None:
        if route.intent == "out_of_scope" and not route.too_long:
            ctx.last_project, ctx.last_intent = None, None  # a new topic: nothing to inherit
        elif route.project is not None:
            ctx.last_project, ctx.last_intent = route.project, route.intent
        self.services.contexts.put(user_key, ctx)

    # ---- answering -----------------------------------------------------------------------
    async def respond(self, msg: Message) -> Reply:
        """Answer a text message."""
        text = msg.text or ""
        if not text.strip():
            return smalltalk.empty(self.services.kb.kb)
        n = number_of(text)
        if n is not None and self.services.kb.kb.project(n):
            return await self.act(msg, actions.answer(n, "overview"))
        if privacy.asks_to_forget(text) and self.services.forget is not None:
            return await privacy.forget(self.services, msg.user_key)
        # Routing reads the original; everything stored or logged gets the redacted text.
        found = scan(text)
        if suggestions.is_suggestion(text):
            reply = await suggestions.take(self.services, msg, found.text)
            return await self._noticed(msg, reply, found)
        route = self.understand(msg.user_key, text)
        if handoff.wants_person(text) and route.intent != "human":
            route = Route(None, "human", 1.0)  # 投诉 names a project often; a person is asked for
        asks = route.intent in PROJECT_INTENTS and (route.project is None or _asks_back(route))
        handoff.track(self.services, msg.user_key, route, found.text, asks)
        reply, outcome = await self._answer(msg, route, text)
        reply.route = route
        if self.services.question_log is not None:
            try:  # what the dialogue did, as it did it: the staff inbox reads this
                await self.services.question_log.record(
                    replace(msg, text=found.text), route, outcome
                )
            except Exception:  # the log must never cost a resident their answer
                log.exception("question log failed")
        reply = handoff.with_offer_if_due(self.services, msg.user_key, route, reply)
        return await self._noticed(msg, reply, found)

    async def act(self, msg: Message, action: str) -> Reply:
        """Carry out a button's action payload (bot.actions)."""
        return await self._noticed(msg, await self._act(msg, action))

    async def _act(self, msg: Message, action: str) -> Reply:
        kb = self.services.kb.kb
        act = actions.decode(action)
        kind = act.kind if act else ""
        if kind == "a" and kb.project(act.number) and act.word in PROJECT_INTENTS:
            route = Route(act.number, act.word, 1.0)
            ctx = self.services.contexts.get(msg.user_key)
            self._remember(msg.user_key, ctx, route)
            handoff.count(ctx, answered=True, out_of_scope=False, asked_back=False)
            return await self._project_answer(act.number, act.word, msg)
        if kind == actions.FEEDBACK:
            ctx = self.services.contexts.get(msg.user_key)
            reply = await feedback.rate(self.services, msg, ctx, f"{act.number}:{act.word}")
            if reply is not None:
                return reply
        if kind == "src" and kb.project(act.number):
            return projects.source_reply(kb.project(act.number))
        if kind == "cat":
            return browse.category(kb, act.number)
        if kind == actions.CATEGORIES:
            return browse.categories(kb)
        if kind == actions.LIST:
            return browse.full_list(kb)
        if kind == actions.HELP:
            return smalltalk.help_text(kb)
        if kind in ("sub", "unsub"):
            fn = subscriptions.subscribe if kind == "sub" else subscriptions.unsubscribe
            return await fn(self.services, msg.user_key, act.number)
        if kind == actions.MYSUBS:
            return await subscriptions.my_subscriptions(self.services, msg.user_key)
        log.info("unknown action %r", action[:64])
        return browse.categories(kb)

    async def _answer(self, msg: Message, route: Route, text: str) -> tuple[Reply, str]:
        """The reply, and what it does for the question log: answered | asked_back |
        out_of_scope (staff see the last two in their inbox)."""
        kb = self.services.kb.kb
        if route.too_long:
            return smalltalk.too_long(kb), ASKED_BACK
        intent = route.intent
        if intent == "subscribe":
            reply = await subscriptions.subscribe(
                self.services, msg.user_key, route.project, ask_first=route.project is None
            )
            return reply, ANSWERED
        if intent == "unsubscribe":
            reply = await subscriptions.unsubscribe(self.services, msg.user_key, route.project)
            return reply, ANSWERED
        if intent in PROJECT_INTENTS:
            if route.project is None:
                return browse.which_project(kb, intent), ASKED_BACK
            if _asks_back(route):
                return browse.did_you_mean(kb, route.alternatives, intent), ASKED_BACK
            return await self._project_answer(route.project, intent, msg), ANSWERED
        if intent == "list":
            return browse.full_list(kb), ANSWERED
        if intent == "greeting":
            return smalltalk.greeting(kb, text.lower()), ANSWERED
        if intent == "help":
            return smalltalk.help_text(kb), ANSWERED
        if intent == "human":
            asked = self.services.contexts.get(msg.user_key).asked
            return handoff.human(kb, self.services.handoff, asked), ANSWERED
        return smalltalk.out_of_scope(kb), OUT_OF_SCOPE

    async def _project_answer(self, number: int, intent: str, msg: Message | None = None) -> Reply:
        kb = self.services.kb.kb
        history = await self.services.progress_history(number) if intent == "progress" else []
        reply = projects.answer(kb, kb.project(number), intent, history)
        if msg is not None:  # 有用/没用, once a project in a conversation
            feedback.offer_once(self.services, msg.user_key, reply, number, intent)
        return reply

    # ---- privacy notices (issue 17) --------------------------------------------------------
    async def notices(self, msg: Message, found: Redacted | None = None) -> list[str]:
        """Privacy notices this resident has not seen yet (a channel's own welcome shows them)."""
        return await privacy.unseen(self.services, msg.user_key, found)

    async def _noticed(self, msg: Message, reply: Reply, found: Redacted | None = None) -> Reply:
        return await privacy.with_notices(self.services, msg.user_key, reply, found)
