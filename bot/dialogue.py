"""Dialogue: apply per-user context to a route, pick the handler, remember what was said."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import replace

from bot import actions
from bot.clauses import asks, clauses
from bot.context import Context
from bot.intents import PROJECT_INTENTS
from bot.models import Message, Reply, Route
from bot.naming import number_of
from bot.privacy import Redacted, scan
from bot.router import Analysis
from bot.services import Services
from bot.text import compact
from handlers import asks as ask_kinds
from handlers import (
    browse,
    facts,
    feedback,
    handoff,
    privacy,
    projects,
    selfcheck,
    situations,
    smalltalk,
    subscriptions,
    suggestions,
)

log = logging.getLogger(__name__)

INHERITED_CONFIDENCE = 0.8
MAX_NEW_WORDS = 2  # a follow-up may bring this many words the KB does not know
ASK_CONFIDENCE = 0.5  # below this, close candidates become a "did you mean" choice
SEVERAL_QUESTIONS_CHARS = 60  # a message this short with 2+ questions gets each one answered
MAX_QUESTIONS = 3
ANSWERED, ASKED_BACK, OUT_OF_SCOPE = "answered", "asked_back", "out_of_scope"  # question log
SELFCHECK = "selfcheck"  # the question log's row of a finished self-check (bot.storage.qlog)
SELFCHECK_ROUTE = Route(None, SELFCHECK, 1.0)


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
        if r.project is None and ask_kinds.is_meta(text):
            return Route(None, "help", 0.9)  # 你的信息是哪一年的: the meta answer (help family)
        if r.project is None and ctx.last_project is not None and _follows_up(a):
            return Route(ctx.last_project, a.cue_intent, INHERITED_CONFIDENCE, inherited=True)
        if r.intent == "out_of_scope":
            # 逸庭苑改造包括加装电梯吗: a named project asked about what the source lacks is
            # answered from that project (原文未说明…), not refused.
            named = None
            if a.off_topic and ask_kinds.read(text).yes_no:
                named = facts.named_project(self.services.kb.kb, text)
            return Route(named, "overview", 0.5) if named else r
        if r.project is not None and a.elliptical and ctx.last_intent in PROJECT_INTENTS:
            return Route(r.project, ctx.last_intent, r.confidence, r.alternatives)
        return r

    def _remember(self, user_key: str, ctx: Context, route: Route) -> None:
        if route.intent == "out_of_scope" and not route.too_long:
            ctx.last_project, ctx.last_intent = None, None  # a new topic: nothing to inherit
            ctx.last_item = None
        elif route.project is not None:
            if route.project != ctx.last_project:
                ctx.last_item = None
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
        ctx = self.services.contexts.get(msg.user_key)
        if ctx.selfcheck is not None and self._leave_selfcheck(msg.user_key, ctx, text):
            return self._offer(msg.user_key, smalltalk.left_selfcheck(self.services.kb.kb))
        if selfcheck.starts(text) and not self._tells_a_situation(text):
            return await self.act(msg, actions.SELFCHECK_AGAIN)
        typed = browse.typed_action(self.services.kb.kb, text, ctx.offered, ctx.last_project)
        if typed is not None:  # 查看原文 / 城市建设 typed instead of tapped
            return await self.act(msg, typed)
        route = self.understand(msg.user_key, text)
        if handoff.wants_person(text) and route.intent != "human":
            route = Route(None, "human", 1.0)  # 投诉 names a project often; a person is asked for
        asks = route.intent in PROJECT_INTENTS and (route.project is None or _asks_back(route))
        handoff.track(self.services, msg.user_key, route, found.text, asks)
        reply, outcome = await self._answer(msg, route, text)
        reply.route = route
        self._remember_item(msg.user_key, route, reply)
        # What the dialogue did, as it did it: the staff inbox reads this.
        await self._log(replace(msg, text=found.text), route, outcome)
        reply = handoff.with_offer_if_due(self.services, msg.user_key, route, reply)
        return self._offer(msg.user_key, await self._noticed(msg, reply, found))

    async def act(self, msg: Message, action: str) -> Reply:
        """Carry out a button's action payload (bot.actions)."""
        return self._offer(msg.user_key, await self._noticed(msg, await self._act(msg, action)))

    async def _log(self, msg: Message, route: Route, outcome: str, **extra) -> None:
        if self.services.question_log is None:
            return
        try:
            await self.services.question_log.record(msg, route, outcome, **extra)
        except Exception:  # the log must never cost a resident their answer
            log.exception("question log failed")

    def _offer(self, user_key: str, reply: Reply) -> Reply:
        """Remember the buttons this reply offers, whatever the channel shows: a label typed
        back (查看原文, a self-check choice) acts like the button."""
        ctx = self.services.contexts.get(user_key)
        ctx.offered = reply.flat_buttons()
        self.services.contexts.put(user_key, ctx)
        return reply

    def _tells_a_situation(self, text: str) -> bool:
        """A story that already says what concerns the resident (…爱运动，一家人爱表演…有啥适合
        我们家的) is answered from its words; a bare 我能享受哪些 starts the questions."""
        return len(compact(text)) > selfcheck.SHORT and (
            self.services.kb.router.route(text).project is not None
        )

    def _leave_selfcheck(self, user_key: str, ctx: Context, text: str) -> bool:
        """End a self-check on 退出, after 20 silent minutes, or on any ordinary question (which
        is then answered as usual). True when the resident asked to exit."""
        sc = ctx.selfcheck
        picks = {compact(b.label) for b in ctx.offered}
        exiting = text.strip() in selfcheck.EXIT_WORDS
        if exiting or sc.expired() or compact(text) not in picks:
            ctx.selfcheck, ctx.offered = None, []  # its option labels mean nothing any more
            self.services.contexts.put(user_key, ctx)
        return exiting

    async def _selfcheck(self, msg: Message, act) -> Reply:
        """One step of the self-check: record the choice, ask the next question or give the result."""
        kb = self.services.kb.kb
        ctx = self.services.contexts.get(msg.user_key)
        sc = ctx.selfcheck
        if act.word == "again" or sc is None or sc.expired():
            sc = selfcheck.SelfCheck()
        else:
            selfcheck.choose(sc, act.number, act.word)  # a stale button re-asks the question
        reply = selfcheck.question(kb, sc)
        ctx.selfcheck = sc if reply is not None else None
        self.services.contexts.put(msg.user_key, ctx)
        if reply is not None:
            return reply
        # One row that a self-check ran and how many projects it found: never its answers,
        # nor anything the resident typed (issue 16, privacy).
        found = selfcheck.found(kb, sc)
        await self._log(replace(msg, text=""), SELFCHECK_ROUTE, SELFCHECK, found=found)
        return selfcheck.result(kb, sc)

    def _remember_item(self, user_key: str, route: Route, reply: Reply) -> None:
        """Keep the sub-item just answered, so 那怎么申请 asks about the same one."""
        ctx = self.services.contexts.get(user_key)
        if route.project is not None and ctx.last_project == route.project:
            ctx.last_item = reply.item
            self.services.contexts.put(user_key, ctx)

    async def _act(self, msg: Message, action: str) -> Reply:
        kb = self.services.kb.kb
        act = actions.decode(action)
        kind = act.kind if act else ""
        if kind == "a" and kb.project(act.number) and act.word in PROJECT_INTENTS:
            p = kb.project(act.number)
            item = (
                p.items[act.item].name if act.item is not None and act.item < len(p.items) else None
            )
            route = Route(act.number, act.word, 1.0)
            ctx = self.services.contexts.get(msg.user_key)
            self._remember(msg.user_key, ctx, route)
            handoff.count(ctx, answered=True, out_of_scope=False, asked_back=False)
            reply = await self._project_answer(act.number, act.word, msg, hint=item)
            self._remember_item(msg.user_key, route, reply)
            return reply
        if kind == "sc":
            return await self._selfcheck(msg, act)
        if kind == "src" and act.number is None:
            return browse.source_menu(kb)
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
        if intent in (*PROJECT_INTENTS, "out_of_scope"):
            situation = situations.reply(kb, text, route)
            if situation is not None:  # 我爸瘫在床上…有啥政策: every project it concerns
                return situation, ANSWERED
        if intent == "subscribe":
            reply = await subscriptions.subscribe(
                self.services, msg.user_key, route.project, ask_first=route.project is None
            )
            return reply, ANSWERED
        if intent == "unsubscribe":
            reply = await subscriptions.unsubscribe(self.services, msg.user_key, route.project)
            return reply, ANSWERED
        if intent in PROJECT_INTENTS:
            # 菜市场几个、示范店几家: figures of several projects' named items, all of them.
            several = projects.counts_across(kb, text, self.services.today())
            if several is not None:
                return several, ANSWERED
            if route.project is None:
                return browse.which_project(kb, intent), ASKED_BACK
            if _asks_back(route):
                return browse.did_you_mean(kb, route.alternatives, intent), ASKED_BACK
            ctx = self.services.contexts.get(msg.user_key)
            reply = await self._project_answer(
                route.project, intent, msg, text=text,
                hint=ctx.last_item if route.inherited else None,
                more=self._further_questions(text, route),
            )  # fmt: skip
            return reply, ANSWERED
        if intent == "list":
            return browse.full_list(kb, text, self.services.today()), ANSWERED
        if intent == "greeting":
            return smalltalk.greeting(kb, text.lower()), ANSWERED
        if intent == "help":
            if ask_kinds.is_meta(text):
                return smalltalk.meta(kb, self.services.today()), ANSWERED
            return smalltalk.help_text(kb), ANSWERED
        if intent == "human":
            asked = self.services.contexts.get(msg.user_key).asked
            return handoff.human(kb, self.services.handoff, asked), ANSWERED
        return smalltalk.out_of_scope(kb), OUT_OF_SCOPE

    def _further_questions(self, text: str, route: Route) -> list[tuple[str, str]]:
        """(intent, question) for each question of a short message that asks several things
        about one project (排球场建好了吗？在哪里？ / 体育园几个？健身园几个？); [] for one."""
        raw = unicodedata.normalize("NFKC", text)
        if len(compact(raw)) > SEVERAL_QUESTIONS_CHARS:
            return []  # a story: its asking part is read as one (bot.asking)
        # Each one marked as a question by the resident (？): a told clause is never one.
        asked = [raw[s:e] for s, e, d in clauses(raw) if "?" in d and asks(raw[s:e])]
        if not 2 <= len(asked) <= MAX_QUESTIONS:
            return []
        out = []
        for question in asked:
            a = self.services.kb.router.analyse(question)
            if a.route.project not in (None, route.project):
                return []  # another project asked about too: the router's pick answers
            own = a.route.project is not None and a.route.intent in PROJECT_INTENTS
            intent = a.route.intent if own else a.cue_intent
            if intent in PROJECT_INTENTS:
                out.append((intent, question))
        return out if len(out) >= 2 else []

    async def _project_answer(
        self,
        number: int,
        intent: str,
        msg: Message | None = None,
        text: str = "",
        hint: str | None = None,
        more: list[tuple[str, str]] = (),
    ) -> Reply:
        kb = self.services.kb.kb
        wanted = {intent, *(i for i, _ in more)}
        history = await self.services.progress_history(number) if "progress" in wanted else []
        reply = projects.answer(
            kb, kb.project(number), intent, history, text=text, hint=hint,
            today=self.services.today(), more=more,
        )  # fmt: skip
        if msg is not None:  # 有用/没用, once a project in a conversation
            feedback.offer_once(self.services, msg.user_key, reply, number, intent)
        return reply

    # ---- privacy notices (issue 17) --------------------------------------------------------
    async def notices(self, msg: Message, found: Redacted | None = None) -> list[str]:
        """Privacy notices this resident has not seen yet (a channel's own welcome shows them)."""
        return await privacy.unseen(self.services, msg.user_key, found)

    async def _noticed(self, msg: Message, reply: Reply, found: Redacted | None = None) -> Reply:
        return await privacy.with_notices(self.services, msg.user_key, reply, found)
