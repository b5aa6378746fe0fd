"""`kb lint`: each semantic check fires on a KB copy broken on purpose, and the real KB lints clean."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.kb import load_kb
from bot.models import ProgressNote
from bot.staff.lint import lint, period_end
from bot.staff.yamledit import add_examples

ROOT = Path(__file__).resolve().parents[1]

TODAY = dt.date(2024, 3, 1)


@pytest.fixture
def kb_dir(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def project_file(kb_dir: Path, number: int) -> Path:
    return next((kb_dir / "2023").glob(f"{number:02d}-*.yaml"))


# Staff-dated entries quote "on": unquoted, YAML 1.1 reads the key `on` as the boolean true.
def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def issues_of(kb_dir: Path, **kw):
    result = load_kb(kb_dir)
    assert result.ok, result.errors  # lint runs on a KB that passes kb check
    return lint(result.kb, TODAY, **kw)


def test_the_bundled_knowledge_base_has_no_lint_errors():
    issues = lint(load_kb().kb, TODAY)
    assert [str(i) for i in issues if i.level == "error"] == []


def test_an_alias_in_two_projects_is_an_error_with_file_and_line(kb_dir):
    edit(project_file(kb_dir, 7), "aliases: [", "aliases: [家庭养老床位, ")
    errors = [i for i in issues_of(kb_dir) if i.level == "error"]
    assert len(errors) == 1
    e = errors[0]
    assert e.file.startswith("04-") and e.field.startswith("aliases.")
    assert (
        "「家庭养老床位」同时指向第4项" in e.message
        and "第7项 aliases「家庭养老床位」" in e.message
    )
    assert e.line > 1


def test_near_identical_examples_of_two_projects_are_an_error(kb_dir):
    add_examples(project_file(kb_dir, 9), ["万东路边上的停车位啥时候能用"], "王芳", TODAY)
    add_examples(project_file(kb_dir, 10), ["万东路边上停车位啥时候能用"], "李强", TODAY)
    add_examples(project_file(kb_dir, 12), ["菜市场几点开门"], "李强", TODAY)  # unlike anything
    errors = [i for i in issues_of(kb_dir) if i.level == "error"]
    assert [(e.file[:2], e.field) for e in errors] == [("09", "examples.0")]
    assert "第10项的「万东路边上停车位啥时候能用」几乎相同" in errors[0].message


def test_todo_facts_are_warnings_per_project(kb_dir):
    issues = issues_of(kb_dir)
    todo = [i for i in issues if i.field == "todo"]
    kb = load_kb(kb_dir).kb
    assert len(todo) == sum(1 for p in kb.projects.values() if p.todo)
    four = next(i for i in todo if i.file.startswith("04-"))
    assert four.level == "warning" and f"{len(kb.project(4).todo)} 条事实待补充" in four.message


def test_progress_not_updated_for_n_days_from_yaml_and_from_admins(kb_dir):
    edit(
        project_file(kb_dir, 16),
        "progress: []",
        'progress:\n  - "on": 2024-01-10\n    by: 王芳\n    status: 进行中\n    percent: 40\n',
    )
    edit(
        project_file(kb_dir, 8),
        "progress: []",
        'progress:\n  - "on": 2023-10-01\n    by: 王芳\n    status: 已完成\n',
    )
    admin = {
        10: [ProgressNote(10, "进行中", 50, "", "李强", dt.date(2024, 2, 25), "admin")],
        12: [ProgressNote(12, "进行中", 10, "", "李强", dt.date(2023, 12, 1), "admin")],
        16: [ProgressNote(16, "进行中", 60, "", "李强", dt.date(2024, 2, 20), "admin")],
    }
    stale = [
        i
        for i in issues_of(kb_dir, admin_progress=admin)
        if i.field == "progress" and "最近一次进展" in i.message
    ]
    assert [(i.file[:2], i.level) for i in stale] == [("12", "warning")]
    assert "最近一次进展是 2023-12-01（管理员，进行中），已 91 天未更新" in stale[0].message
    # Without the admin entry, project 16's YAML entry of 2024-01-10 is the latest: 51 days.
    stale = [
        i
        for i in issues_of(kb_dir, stale_days=30)
        if i.field == "progress" and "最近一次进展" in i.message
    ]
    assert [i.file[:2] for i in stale] == ["16"] and "已 51 天未更新" in stale[0].message
    assert [
        i
        for i in issues_of(kb_dir, stale_days=60)
        if i.field == "progress" and "最近一次进展" in i.message
    ] == []


def test_dates_already_past_that_still_read_as_future(kb_dir):
    edit(
        project_file(kb_dir, 16),
        "dates: []",
        "dates:\n  - what: 市民排球场建成\n    date: 2023-12\n    kind: completion\n"
        '    by: 王芳\n    "on": 2023-06-01\n',
    )
    edit(
        project_file(kb_dir, 16),
        "benefits:\n",
        'benefits:\n  - text: 市民排球场预计2023年10月对外开放。\n    by: 王芳\n    "on": 2023-06-01\n',
    )
    past = [
        i
        for i in issues_of(kb_dir)
        if i.file.startswith("16-") and i.field.startswith(("dates", "benefits"))
    ]
    assert sorted(i.field for i in past) == ["benefits.0.text", "dates.0"]
    assert all(i.level == "warning" for i in past)
    assert any("2023-12（completion）已经过去" in i.message for i in past)
    # Once staff record it as done, the completion date is history, not a promise.
    edit(
        project_file(kb_dir, 16),
        "progress: []",
        'progress:\n  - "on": 2023-12-20\n    by: 王芳\n    status: 已完成\n',
    )
    past = [i for i in issues_of(kb_dir) if i.file.startswith("16-") and i.field == "dates.0"]
    assert past == []
    assert period_end("2024") == dt.date(2024, 12, 31) and period_end("2024-02") == dt.date(
        2024, 2, 29
    )


def test_lint_exits_non_zero_on_errors_and_lists_warnings(kb_dir, capsys):
    assert main(["kb", "lint", str(kb_dir), "--today", "2024-03-01", "--no-db"]) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out and "warning: " in out and "todo" in out
    edit(project_file(kb_dir, 7), "aliases: [", "aliases: [家庭养老床位, ")
    assert main(["kb", "lint", str(kb_dir), "--today", "2024-03-01", "--no-db"]) == 1
    assert "error: 04-" in capsys.readouterr().out
    edit(project_file(kb_dir, 7), "number: 7", "number: seven")
    assert main(["kb", "lint", str(kb_dir), "--no-db"]) == 1
    assert "number" in capsys.readouterr().out


def test_lint_reads_admin_progress_from_the_configured_database(kb_dir, tmp_path, capsys):
    progress = pytest.importorskip(
        "bot.storage.progress", reason="admin progress table not present"
    )
    from bot.storage import Database

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"

    async def publish():
        db = Database(url)
        await db.start()
        at = dt.datetime(2023, 11, 1, 4, tzinfo=dt.timezone.utc)
        await progress.ProgressRepo(db).add(12, "进行中", 30, "菜市场装修中", "李强", at=at)
        await db.close()

    asyncio.run(publish())
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"database:\n  url: {url}\n", encoding="utf-8")
    assert main(["--config", str(cfg), "kb", "lint", str(kb_dir), "--today", "2024-03-01"]) == 0
    out = capsys.readouterr().out
    assert "最近一次进展是 2023-11-01（管理员，进行中）" in out and "YAML + 数据库" in out
