"""The button and menu payload grammar, encoded and decoded in this one place.

A payload is what a button sends back (Telegram callback data, a WeChat menu key, a typed
number on a text channel): short ASCII, at most 64 bytes.

    a:9:progress   the answer about project 9 for one intent
    src:9          project 9's source text
    cat:2 / cats   one category's projects / the category menu
    list / help / mysubs
    sub:9 / sub:all, unsub:9 / unsub:all
    adm:go:5 / adm:no:5 / adm:notify:3 / adm:hist:9   admin steps (job, entry, project id)
    fb:9:benefit:1 / fb:9:benefit:0   有用 / 没用 about the answer on project 9's benefit
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES, LIST, HELP, MYSUBS, FEEDBACK = "cats", "list", "help", "mysubs", "fb"
ADMIN_VERBS = ("go", "no", "notify", "hist")  # confirm, discard, notify subscribers, history


@dataclass(frozen=True)
class Action:
    kind: str  # a | src | cat | cats | list | help | mysubs | sub | unsub | fb | adm
    number: int | None = None  # project, category, job or entry; None for "all"
    word: str = ""  # the intent of `a`, the verb of `adm`


def answer(project: int, intent: str) -> str:
    return f"a:{project}:{intent}"


def source(project: int) -> str:
    return f"src:{project}"


def category(index: int) -> str:
    return f"cat:{index}"


def subscribe(project: int | None) -> str:
    return f"sub:{'all' if project is None else project}"


def unsubscribe(project: int | None) -> str:
    return f"unsub:{'all' if project is None else project}"


def feedback(project: int, intent: str, useful: bool) -> str:
    return f"fb:{project}:{intent}:{int(useful)}"


def admin(verb: str, number: int) -> str:
    return f"adm:{verb}:{number}"


def decode(payload: str) -> Action | None:
    """The Action a payload names; None for anything malformed (a stale or forged button)."""
    kind, _, rest = (payload or "").partition(":")
    if kind in (CATEGORIES, LIST, HELP, MYSUBS) and not rest:
        return Action(kind)
    if kind == "a":
        num, _, intent = rest.partition(":")
        return Action("a", int(num), intent) if num.isdigit() and intent else None
    if kind in ("src", "cat"):
        return Action(kind, int(rest)) if rest.isdigit() else None
    if kind in ("sub", "unsub"):
        if rest == "all":
            return Action(kind, None)
        return Action(kind, int(rest)) if rest.isdigit() else None
    if kind == FEEDBACK:  # word keeps 'intent:vote' for the feedback handler to check
        num, _, word = rest.partition(":")
        return Action(kind, int(num), word) if num.isdigit() and word else None
    if kind == "adm":
        verb, _, num = rest.partition(":")
        return Action("adm", int(num), verb) if verb in ADMIN_VERBS and num.isdigit() else None
    return None


def is_admin_payload(payload: str) -> bool:
    return (payload or "").startswith("adm:")
