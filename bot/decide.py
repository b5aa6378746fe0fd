"""Decide a route from the evidence gathered about one message: which project, which question."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.intents import PROJECT_INTENTS
from bot.models import Alternative, Route

MIN_PROJECT_SCORE = 1.2  # below this a project match is a stray sub-word
AMBIGUOUS_RATIO = 0.75  # second within 75% of the first: offer a choice
SPECIAL_CUE = 4.0  # (un)subscribe cues this strong decide the intent whatever else matched
WEAK_CUE = 1.0  # below this the question words were only told (a salutation, the story)
LIST_CUE = 4.0  # a request for the whole list this strong wins over a weak project word
HELP_CUE = 3.0  # 这里可以查询哪些内容: how to use the bot, over a stray 老人
HUMAN_CUE = 5.0  # 我要投诉 (a pattern) or 转人工 + 人工: a person is asked for
NAMED_STRONG = 2.5  # a named term this strong (3+ characters, or a place) outweighs 坏了 or 户口
NEAR_MISS = 4.0  # off-topic words this heavy name another service (挂号, 医保卡, 加装电梯)
INTENT_CLOSE = 0.8  # a second question kind within 80% of the first makes the answer less sure
ASKED_PROJECT = 0.5  # a project word inside the asking clause of a longer message: +50%
TOLD_SITUATION = 1.5  # a situation this strong (部队退下来) outweighs a how-to-use cue
TOPIC_CONFIDENCE = 0.3  # a bare shared word (补贴): a guess offered with its alternatives
NON_PROJECT_INTENTS = ("list", "help", "greeting", "human")


@dataclass
class Evidence:
    """What one message says about where it belongs, gathered before deciding."""

    projects: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    named: float = 0.0  # the strongest single name (not a situation, not a fuzzy guess)
    situational: bool = False  # a life situation matched
    oos: float = 0.0
    oos_max: float = 0.0  # the strongest single off-topic word
    includes: bool = False  # 包括/有没有/会不会…: asks whether the project covers a thing
    topics: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    topic_unknown: Callable[[], list[str]] = list  # content words beside the shared ones
    example: tuple | None = None
    related: set[int] = field(default_factory=set)  # projects a name or situation points to
    named_by: dict[int, float] = field(default_factory=dict)  # project -> its strongest name
    asked: dict[int, float] = field(default_factory=lambda: defaultdict(float))  # in the ask
    other_kind: bool = False  # a shared word qualified by an unknown one (育儿补贴)


def decide(ev: Evidence, iscores, unknown) -> Route:
    """The route this evidence supports: a project and question, a choice, or out of scope."""
    # Which project: the words of the asking clause weigh more (ASKED_PROJECT); how sure,
    # and whether it is a project at all: the plain evidence.
    order = sorted(ev.projects, key=lambda n: (-(ev.projects[n] + ASKED_PROJECT * ev.asked[n]), n))
    ranked = [(n, ev.projects[n]) for n in order]
    if ranked and ranked[0][0] not in ev.named_by:
        # 逸庭苑改造会不会加个坡道？我坐轮椅: the project named outranks one only described.
        named = [kv for kv in ranked if ev.named_by.get(kv[0], 0.0) >= NAMED_STRONG]
        if named:
            ranked.remove(named[0])
            ranked.insert(0, named[0])
    top_n, top = ranked[0] if ranked else (None, 0.0)
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    has_project = top >= MIN_PROJECT_SCORE or (
        # A situation two projects share (失业): together they are evidence, offered as a choice.
        ev.situational and top + second >= MIN_PROJECT_SCORE and second >= AMBIGUOUS_RATIO * top
    )
    alternatives: tuple[Alternative, ...] = ()
    if has_project and second >= AMBIGUOUS_RATIO * top:
        alternatives = tuple(
            Alternative(n, round(s, 3)) for n, s in ranked[:3] if s >= AMBIGUOUS_RATIO * top
        )

    for special in ("unsubscribe", "subscribe"):
        if iscores.get(special, 0) >= SPECIAL_CUE:
            return Route(top_n if has_project else None, special, 0.9, alternatives)
    weakly_named = max(ev.named_by.values(), default=0) < 2.0
    for asked, floor in (("list", LIST_CUE), ("help", HELP_CUE)):
        # 能不能把这20项都给我说一遍: the list, whatever stray project word the story brings;
        # 这里可以查询哪些内容: how to use the bot — but not over a told situation
        # (我刚从部队退下来…能帮我啥 asks what the veterans' project offers).
        stray = weakly_named and (asked == "list" or top < TOLD_SITUATION)
        if iscores.get(asked, 0) >= floor and stray and not ev.oos:
            return Route(None, asked, round(min(1.0, iscores[asked] / 6), 3))
    if iscores.get("human", 0) >= HUMAN_CUE:
        # 我要投诉… / 转人工: a person is asked for, whatever project is named.
        return Route(None, "human", round(min(1.0, iscores["human"] / 6), 3))
    if ev.example:
        ex, score = ev.example
        intent = ex.intent or _best(iscores, PROJECT_INTENTS)[0] or "overview"
        return Route(ex.project, intent, round(score / 100, 3))
    if ev.oos and ev.oos > top and not _named_outweighs(ev):
        return Route(None, "out_of_scope", round(min(1.0, ev.oos / 5), 3))

    if has_project:
        intent, iscore = _best(iscores, PROJECT_INTENTS)
        if intent is None or iscore < WEAK_CUE:
            intent = "overview"  # only a told cue (网格员咨询：…): the default, not a reading
        strength = min(1.0, top / 3.0)
        margin = max(0.0, (top - second) / top)  # the asked-about project may trail
        conf = strength * (0.3 + 0.7 * margin)  # a tie is never above 0.3
        conf *= _intent_certainty(iscores, iscore)
        related = tuple(n for n, _ in ranked if n != top_n and n in ev.related)
        return Route(top_n, intent, round(conf, 3), alternatives, related=related)
    intent, iscore = _best(iscores, NON_PROJECT_INTENTS)
    if intent == "greeting":  # 您好…可以咨询哪些…谢谢: the politeness wraps the question
        asked, score = _best(iscores, ("list", "help", "human"))
        if asked and score >= 1.5:
            intent, iscore = asked, score
    if intent and iscore >= 1.5:
        return Route(None, intent, round(min(1.0, iscore / 3.0), 3))
    intent, iscore = _best(iscores, PROJECT_INTENTS)
    if intent and top > 0 and not ev.oos and not ev.other_kind:
        # Only weak words (急救 is in two projects): a guess, offered as a choice — not when
        # the shared word is qualified by one we do not know (以旧换新补贴: another kind).
        weak = tuple(
            Alternative(n, round(s, 3)) for n, s in ranked[:3] if s >= AMBIGUOUS_RATIO * top
        )
        return Route(top_n, intent, round(0.3 * top / MIN_PROJECT_SCORE, 3), weak)
    if ev.topics and not ev.oos and not ev.other_kind and not ev.topic_unknown():
        # A bare word many projects share (补贴): the likeliest, with the others as a choice.
        shared = sorted(ev.topics.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        choice = tuple(Alternative(n, round(s, 3)) for n, s in shared)
        return Route(shared[0][0], intent or "overview", TOPIC_CONFIDENCE, choice)
    if intent and not unknown:
        # 怎么申请 with no project named: the dialogue layer supplies one or asks which.
        return Route(None, intent, round(min(1.0, iscore / 3.0) * 0.5, 3))
    return Route(None, "out_of_scope", round(1.0 - min(1.0, top / 3.0) * 0.5, 3))


def _named_outweighs(ev: Evidence) -> bool:
    """A named project or place beats an everyday off-topic word (坏了, 户口); a near-miss
    service word (挂号, 加装电梯: weight 4+) still wins unless the resident asks whether
    the project includes it (改造包括加装电梯吗: in scope, answered 原文未说明)."""
    if ev.named < NAMED_STRONG:
        return False
    return ev.oos_max < NEAR_MISS or ev.includes


def cue_intent(iscores: dict[str, float]) -> str | None:
    """The project question the cue words ask, if any (subscribing counts as one)."""
    for special in ("unsubscribe", "subscribe"):
        if iscores.get(special, 0) >= SPECIAL_CUE:
            return special
    return _best(iscores, PROJECT_INTENTS)[0]


def _intent_certainty(iscores: dict[str, float], best: float) -> float:
    """1.0 when one question kind clearly wins; less when two are close (能…吗: benefit or
    eligibility) — measured on the dev sets, most wrong-but-sure answers were such ties."""
    runner_up = max((s for i, s in iscores.items() if i in PROJECT_INTENTS and s < best), default=0)
    if best <= 0:
        return 0.9  # no cue at all: the overview is a default, not a reading
    return 1.0 if runner_up < INTENT_CLOSE * best else 0.75


def _best(scores: dict[str, float], allowed) -> tuple[str | None, float]:
    best, best_score = None, 0.0
    for intent in allowed:  # order breaks ties: earlier intents win
        s = scores.get(intent, 0.0)
        if s > best_score:
            best, best_score = intent, s
    return best, best_score
