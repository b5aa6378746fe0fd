"""`kb lint` knows the date: an old list, projects silent after their year, drafts residents
cannot name, and accepted bare words that several projects share."""

from __future__ import annotations

import datetime as dt

from test_staff_lint import edit, issues_of, kb_dir, project_file  # noqa: F401  (fixture)

from bot.cli import main
from bot.kb import load_kb
from bot.staff.lint import lint
from bot.staff.yamledit import add_examples


def test_a_list_older_than_this_year_is_a_warning():
    kb = load_kb().kb
    [old] = [i for i in lint(kb, dt.date(2026, 12, 1)) if i.field == "year"]
    assert str(old) == (
        "warning: _list.yaml:1: year: 最新的年度清单是 2023 年，今天是 2026-12-01："
        "请导入 2026 年的清单（python -m bot kb import 公告.txt --year 2026 --out knowledge/2026/）"
    )
    assert [i for i in lint(kb, dt.date(2023, 6, 1)) if i.field == "year"] == []


def silent(issues):
    return [i for i in issues if "仍没有任何进展记录" in i.message]


def test_projects_without_progress_after_the_year_ended_are_warned_after_n_days(kb_dir):  # noqa: F811
    edit(
        project_file(kb_dir, 9),
        "progress: []",
        'progress:\n  - "on": 2023-10-01\n    by: 王芳\n    status: 进行中\n    percent: 40\n',
    )
    kb = load_kb(kb_dir).kb
    assert silent(lint(kb, dt.date(2024, 1, 30))) == []  # 30 days after 2023-12-31: not yet
    late = silent(lint(kb, dt.date(2024, 1, 31)))
    assert len(late) == 19 and not any(i.file.startswith("09-") for i in late)
    assert late[0].message == (
        "第1项 综合施策推动就业: 2023 年已结束 31 天，仍没有任何进展记录（居民问进展只能得到“暂无进展发布”）"
    )
    assert late[0].file.startswith("01-") and late[0].line > 0
    assert silent(lint(kb, dt.date(2024, 1, 31), year_end_days=60)) == []  # configurable


def test_a_draft_without_aliases_is_a_warning(kb_dir):  # noqa: F811
    f = project_file(kb_dir, 13)
    text = f.read_text(encoding="utf-8")
    start = text.index("aliases: [")
    end = text.index("]", start)
    f.write_text(text[:start] + "aliases: []" + text[end + 1 :], encoding="utf-8")
    [w] = [i for i in issues_of(kb_dir) if i.field == "aliases"]
    assert w.file.startswith("13-") and w.level == "warning"
    assert (
        w.message
        == "第13项 加强食品安全监管: 没有 aliases，居民用口头叫法问不到这一项；请补充几种叫法"
    )


def test_an_accepted_bare_word_that_other_projects_share_is_a_warning(kb_dir, capsys):  # noqa: F811
    add_examples(
        project_file(kb_dir, 7), ["补贴", "租房补贴去哪里申请"], "王芳", dt.date(2026, 11, 30)
    )
    warned = [i for i in issues_of(kb_dir) if i.field.startswith("examples.")]
    assert [(i.file[:2], i.level) for i in warned] == [("07", "warning")]
    assert warned[0].message.startswith("「补贴」只是一个词，第1项")
    assert warned[0].message.endswith("居民只说这个词时不该都指向第7项；请收录完整的问法")
    assert main(["kb", "lint", str(kb_dir), "--today", "2026-12-01", "--no-db"]) == 0
    out = capsys.readouterr().out
    assert "「补贴」只是一个词" in out and "最新的年度清单是 2023 年" in out
