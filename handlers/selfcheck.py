"""我能享受哪些: a few short questions with buttons, then the sub-items that may concern the
resident, from the groups the KB ties to the source. Answers live only in the dialogue context."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot import actions, regexcache
from bot.kb.model import KnowledgeBase
from bot.models import Button, Reply
from bot.text import compact
from handlers import concerns
from handlers.common import ask_hotline, hotline

START = regexcache.compile(
    r"(我能享受哪些|我能享受什么|有啥适合我|有什么适合我|帮我看看|看看我能享受|重新测一下|自测)"
)
EXIT_WORDS = ("退出", "不测了", "结束")
SHORT = 20  # characters: longer, a message that starts the self-check may tell the situation
UNSURE = "不确定"
TIMEOUT = 20 * 60  # seconds of silence that end the flow
# (question, [(label, groups)]): asked in this order, each skippable with 不确定.
QUESTIONS = (
    (
        "家里有老人吗？",
        (("有老人", ("老年人",)), ("老人独自居住", ("老年人", "高龄独居")), ("没有", ())),
    ),
    (
        "家里有残疾人或卧床不能自理的人吗？",
        (("有残疾人", ("残疾人家庭",)), ("有卧床失能的人", ("重度失能",)), ("都没有", ())),
    ),
    (
        "家里享受低保、低收入或特困吗？",
        (("低保或低收入", ("低保低收入",)), ("特困供养", ("特困供养",)), ("都不是", ())),
    ),
    (
        "您的工作情况？",
        (
            ("失业或难找工作", ("失业就业困难",)),
            ("刚毕业", ("高校毕业生青年",)),
            ("灵活就业", ("灵活就业",)),
            ("都不是", ()),
        ),
    ),
    ("住房方面？", (("租房或住房困难", ("中低收入住房困难",)), ("没有困难", ()))),
    (
        "还有这些情况吗？",
        (
            ("准备生孩子", ("生育",)),
            ("退役军人", ("退役军人",)),
            ("有上学的孩子", ("学龄儿童家庭",)),
            # here, not beside 低保: a low-income family raising such a child answers both
            ("孩子无人抚养", ("事实无人抚养儿童",)),
        ),
    ),
)


@dataclass
class SelfCheck:
    step: int = 0
    groups: set[str] = field(default_factory=set)
    unsure: int = 0
    touched: float = field(default_factory=time.monotonic)

    def expired(self) -> bool:
        return time.monotonic() - self.touched > TIMEOUT


def starts(text: str) -> bool:
    return bool(START.search(compact(text or "")))


def _useful(kb: KnowledgeBase, step: int) -> bool:
    """Ask only what can change the result: some sub-item serves one of the choices' groups."""
    tagged = {g.tag for p in kb.projects.values() for it in p.items for g in it.groups}
    return any(set(groups) & tagged for _, groups in QUESTIONS[step][1])


def question(kb: KnowledgeBase, sc: SelfCheck) -> Reply | None:
    """The next question, or None when all are answered."""
    while sc.step < len(QUESTIONS) and not _useful(kb, sc.step):
        sc.step += 1
    if sc.step >= len(QUESTIONS):
        return None
    text, choices = QUESTIONS[sc.step]
    buttons = [Button(label, f"sc:{sc.step}:{i}") for i, (label, _) in enumerate(choices)]
    buttons.append(Button(UNSURE, f"sc:{sc.step}:u"))
    head = "看看您可能享受哪些（随时可以发“退出”）。\n" if sc.step == 0 else ""
    return Reply(f"{head}{sc.step + 1}. {text}", [buttons[:3], buttons[3:5]])


def choose(sc: SelfCheck, step: int, choice: str) -> bool:
    """Record one answer; False for a stale button (another step)."""
    if step != sc.step:
        return False
    if choice == "u":
        sc.unsure += 1
    elif choice.isdigit() and int(choice) < len(QUESTIONS[step][1]):
        sc.groups.update(QUESTIONS[step][1][int(choice)][1])
    else:
        return False
    sc.step += 1
    sc.touched = time.monotonic()
    return True


def found(kb: KnowledgeBase, sc: SelfCheck) -> int:
    """How many projects the result names: all the question log keeps of a self-check."""
    return len({p.number for p, _, _ in concerns.concerned(kb, sc.groups)})


def result(kb: KnowledgeBase, sc: SelfCheck) -> Reply:
    """The sub-items that may concern the resident: 可能适用 / 需确认条件, never a promise."""
    found = concerns.sections(kb, concerns.concerned(kb, sc.groups))
    again = [[Button("重新测一下", actions.SELFCHECK_AGAIN), Button("全部项目", "list")]]
    if not found:
        return Reply(
            "按您选的情况，清单里没有找到明确面向您的项目。\n"
            f"您仍可浏览全部项目，或拨打{hotline(kb)}咨询。",
            again,
        )
    lines = ["按您选的情况，这些项目可能适用（具体以经办部门审核为准）：", *found]
    lines.append(ask_hotline(kb))
    return Reply("\n".join(lines), again)
