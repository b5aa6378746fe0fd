"""The router's fixed vocabulary of intents (DESIGN.md, Intents), in one table.

Each intent: its name, how staff read it (stats, reports), whether it is a question about one
project, and the label of its follow-up button under an answer about the same project. The
answer builders for project intents are handlers.projects.ANSWERS, keyed by these names (the
handlers read this table, so the table cannot name them without an import circle).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    name: str
    label: str  # as staff read it: 待遇, 范围外
    needs_project: bool  # answered about one project (asked back when none is named)
    follow_up: str = ""  # its button under another answer about the project; "" = none


TABLE: tuple[Intent, ...] = (
    Intent("overview", "概况", True),
    Intent("benefit", "待遇", True, "待遇"),
    Intent("eligibility", "条件", True, "条件"),
    Intent("apply", "办理", True, "怎么办"),
    Intent("deadline", "时间", True, "时间"),
    Intent("progress", "进展", True, "进展"),
    Intent("list", "清单", False),
    Intent("subscribe", "订阅", False),
    Intent("unsubscribe", "退订", False),
    Intent("help", "帮助", False),
    Intent("greeting", "问候", False),
    Intent("human", "转人工", False),
    Intent("out_of_scope", "范围外", False),
)

INTENTS = tuple(i.name for i in TABLE)
PROJECT_INTENTS = tuple(i.name for i in TABLE if i.needs_project)
FOLLOW_UPS = tuple((i.name, i.follow_up) for i in TABLE if i.follow_up)
LABELS = {i.name: i.label for i in TABLE}
