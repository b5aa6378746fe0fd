"""Issue 16, privacy: a finished self-check leaves one question-log row (that it ran, how many
projects it found), never the resident's choices or its answer; staff count it apart from
questions; /forget removes it. Played on the console through the whole app (bot.app.App)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from bot.app import App
from bot.config import Config
from bot.staff.inbox import load_inbox
from bot.staff.report import html_report
from bot.staff.stats import period_stats, text_report
from bot.storage.db import Database, utcnow
from tests.conftest import PG_URL, wipe_postgres

# The elderly person living alone of tests/transcripts/07-self-check.yaml, by option number:
# 老人独自居住, 都没有, 都不是, 都不是, 没有困难, 不确定 -> three sub-items of project 4.
ALONE = ["我能享受哪些", "2", "3", "3", "4", "2", "5"]
NOTHING = ["帮我看看", "3", "3", "3", "4", "2", "5"]  # nothing applies: 0 projects
# What the resident chose and what the result said: none of it may be stored anywhere.
PRIVATE = ("老人独自居住", "高龄独居", "老年人", "老人家食堂", "家庭养老床位", "红外", "都没有")


def _urls():
    yield pytest.param("sqlite", id="sqlite")
    if PG_URL:
        yield pytest.param("postgresql", id="postgresql")


@pytest.fixture(params=list(_urls()))
async def app(request, holder, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}" if request.param == "sqlite" else PG_URL
    if request.param == "postgresql":
        db = Database(PG_URL)
        await wipe_postgres(db)
        await db.close()
    config = Config.model_validate(
        {
            "database": {"url": url},
            "knowledge": {"watch": False},
            "privacy": {"notices": False, "hmac_secret": "s3cret-for-tests"},
            "feedback": {"buttons": False},
        }
    )
    app = App(config, holder, channels=["console"])  # the question log on, as `run` has it
    await app.start()
    app.channel("console").out = lambda _text: None
    yield app
    await app.stop()


async def _say(app, *texts: str) -> str:
    out = ""
    for t in texts:
        out = await app.channel("console").say(t, "resident")
    return out


async def _everything(app) -> str:
    """Every row of every table, as text: what a person holding the database could read."""
    db = app.db
    if db.is_sqlite:
        listing = "SELECT name FROM sqlite_master WHERE type='table'"
    else:
        listing = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    async with db.engine.connect() as conn:
        names = list((await conn.execute(text(listing))).scalars())
        rows = [
            repr(tuple(r)) for n in names for r in await conn.execute(text(f'SELECT * FROM "{n}"'))
        ]
    return "\n".join(rows)


async def test_a_finished_self_check_logs_one_row_with_its_count_and_no_answers(app):
    log = app.services.question_log
    await _say(app, "口袋公园建在哪")
    screen = await _say(app, *ALONE[:-1])
    assert screen.startswith("6. 还有这些情况吗？")
    since = utcnow() - dt.timedelta(hours=1)
    assert [q.intent for q in await log.questions(since)] == ["overview"]  # steps: nothing yet

    screen = await _say(app, ALONE[-1])
    assert "· 第4项 红外监测物联设备" in screen
    rows = await log.questions(since)
    assert [(q.text, q.project, q.intent, q.outcome, q.found) for q in rows] == [
        ("口袋公园建在哪", 15, "overview", "answered", None),
        ("", None, "selfcheck", "selfcheck", 1),
    ]
    assert not rows[1].unanswered and rows[1].selfcheck
    stored = await _everything(app)
    assert not [w for w in PRIVATE if w in stored], stored

    # Staff: a self-check is counted apart, never as a question nor as unanswered.
    kb, router = app.services.kb.kb, app.services.kb.router
    await _say(app, *NOTHING)
    s = await period_stats(log, kb, router, days=1)
    assert (s.total, s.answered, s.users, s.selfchecks) == (1, 1, 1, [1, 0])
    report = text_report(s).splitlines()
    assert report[1:3] == [
        "问题 1 个，提问人 1 位，已回答 1 个（回答率 100%）",
        "自测 2 次，平均找到 0.5 个项目，一个也没找到的 1 次（不计入问题）",
    ]
    assert '<div class="card">自测<b>2</b></div>' in html_report(s, "河东区")
    box = await load_inbox(log, router, days=1)
    assert (box.total, box.unanswered, box.clusters) == (1, 0, [])

    assert (await _say(app, "/forget")).startswith("已删除您在民心通的全部数据")
    assert await log.questions(since) == []
