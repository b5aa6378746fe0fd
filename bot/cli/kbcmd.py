"""`kb check` / `kb lint` / `kb import`: validate, lint, and draft a new year from its announcement."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path

from bot.kb import load_kb


def register(sub) -> None:
    p = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = p.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    c = kb_sub.add_parser("check", help="validate every file; list facts still marked todo")
    c.add_argument("dir", nargs="?", help="knowledge folder (default: bundled)")
    c.add_argument("--year", type=int, dest="kb_year")
    c.set_defaults(func=run_check)
    c = kb_sub.add_parser(
        "lint",
        help="kb check plus semantic checks: shared words, near-duplicate examples, todo, stale progress, past dates",
    )
    c.add_argument("dir", nargs="?", help="knowledge folder (default: bundled)")
    c.add_argument("--year", type=int, dest="kb_year")
    c.add_argument("--stale-days", type=int, default=30, help="progress older than this is stale")
    c.add_argument(
        "--year-end-days",
        type=int,
        default=30,
        help="warn when a project has no progress this many days after its list year ended",
    )
    c.add_argument("--today", type=dt.date.fromisoformat, help="check as of this date (YYYY-MM-DD)")
    c.add_argument("--no-db", action="store_true", help="ignore admin progress in the database")
    c.set_defaults(func=run_lint)
    c = kb_sub.add_parser("import", help="draft a year's project files from its announcement")
    c.add_argument("announcement", type=Path, help="the announcement as UTF-8 text")
    c.add_argument("--year", type=int, dest="kb_year", required=True)
    c.add_argument(
        "--out", type=Path, required=True, help="the year's folder, e.g. knowledge/2024/"
    )
    c.add_argument("--force", action="store_true", help="overwrite files already in --out")
    c.set_defaults(func=run_import)
    c = kb_sub.add_parser("example", help="teach the router a resident's phrasing")
    ex_sub = c.add_subparsers(dest="example_command", metavar="EXAMPLE_COMMAND", required=True)
    c = ex_sub.add_parser("add", help="store a phrasing with its project and intent")
    c.add_argument("project", type=int, help="the project's number in the year's list")
    c.add_argument("text", help="the resident's wording")
    c.add_argument("--intent", help="overview, benefit, eligibility, apply, deadline or progress")
    c.add_argument("--by", required=True, help="who adds it (kept in the file)")
    c.add_argument("--year", type=int, dest="kb_year")
    c.set_defaults(func=run_example_add)
    p.set_defaults(kb_sub=kb_sub)


def run_check(args) -> int:
    result = load_kb(args.dir or getattr(args, "knowledge", None), args.kb_year or args.year)
    for err in result.errors:
        print(err)
    if not result.ok:
        print(f"{len(result.errors)} error(s)", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(f"warning: {w}")
    kb = result.kb
    print(
        f"OK: {kb.year.title}: {len(kb.projects)} projects, "
        f"{sum(len(p.todo) for p in kb.projects.values())} todo notes"
    )
    return 0


def run_lint(args) -> int:
    from bot.cli.common import config_of
    from bot.staff.lint import lint

    result = load_kb(args.dir or getattr(args, "knowledge", None), args.kb_year or args.year)
    for err in result.errors:
        print(f"error: {err}")
    if not result.ok:
        print(f"{len(result.errors)} error(s): fix these first (kb check)", file=sys.stderr)
        return 1
    kb = result.kb
    admin = None if args.no_db else asyncio.run(_admin_progress(config_of(args), kb))
    issues = lint(kb, args.today or _china_today(), admin, args.stale_days, args.year_end_days)
    for w in result.warnings:
        if "todo" not in w:  # todo notes come again, one line per project, from lint
            print(f"warning: {w}")
    for issue in issues:
        print(issue)
    errors = sum(i.level == "error" for i in issues)
    source = "YAML + 数据库" if admin is not None else "YAML"
    print(
        f"{kb.year.title}: {len(kb.projects)} projects, {errors} error(s), "
        f"{len(issues) - errors} warning(s) (progress from {source})"
    )
    return 1 if errors else 0


def _china_today() -> dt.date:
    """Today where the office is (UTC+8), whatever the server's zone."""
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()


async def _admin_progress(config, kb):
    """Admin progress entries per project, when a database with them is reachable; else None."""
    try:
        from bot.storage.progress import ProgressRepo
    except ImportError:
        return None
    from sqlalchemy.engine import make_url

    from bot.storage import Database

    url = make_url(config.database.url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return None  # no database here: YAML progress only
    db = Database(config.database.url)
    try:
        repo = ProgressRepo(db)
        return {n: await repo.progress_history(n) for n in kb.numbers}
    except Exception as e:  # a database without the progress table, or unreachable
        print(f"warning: admin progress not read from the database: {type(e).__name__}")
        return None
    finally:
        await db.close()


def run_import(args) -> int:
    from bot.staff.importer import AnnouncementError, import_announcement

    try:
        r = import_announcement(args.announcement, args.kb_year, args.out, force=args.force)
    except AnnouncementError as e:
        print(f"导入失败: {e}", file=sys.stderr)
        return 1
    for item in r.items:
        print(
            f"第{item.number}项 {item.title}: {len(item.targets)} 个数量, "
            f"{len(item.dates)} 个日期, {len(item.places)} 个地点"
        )
    for w in r.warnings:
        print(f"warning: {w}")
    for e in r.check_errors:
        print(f"error: {e}")
    print(f"已写入 {len(r.files)} 个项目草稿、_list.yaml 和 source.txt 到 {r.directory}")
    if r.check_errors:
        return 1
    print(
        f"kb check 通过。下一步：补充 aliases，核对草稿，再运行 python -m bot kb lint {r.directory.parent} --year {args.kb_year}"
    )
    return 0


def run_example_add(args) -> int:
    """Append the phrasing to the project's `examples` (with its intent); check the KB still loads."""
    from bot.intents import PROJECT_INTENTS
    from bot.router import Router
    from bot.staff.yamledit import EditError, add_examples

    result = load_kb(getattr(args, "knowledge", None), args.kb_year or args.year)
    if not result.ok:
        print("\n".join(map(str, result.errors)), file=sys.stderr)
        return 1
    kb = result.kb
    if args.project not in kb.files:
        print(f"第{args.project}项不存在", file=sys.stderr)
        return 1
    if args.intent is not None and args.intent not in PROJECT_INTENTS:
        print(f"意图 {args.intent!r} 不是 {', '.join(PROJECT_INTENTS)} 之一", file=sys.stderr)
        return 1
    path = kb.files[args.project]
    before = path.read_bytes()
    on = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()  # the date in China
    try:
        added = add_examples(path, [args.text], args.by, on, args.intent)
    except EditError as e:
        print(e, file=sys.stderr)
        return 1
    after = load_kb(kb.directory, kb.year.year)
    if not after.ok:
        path.write_bytes(before)
        print("收录后知识库无法加载，已恢复原文件：" + "; ".join(map(str, after.errors[:3])))
        return 1
    if not added:
        print(f"{path.name}: 已有这个问法，未改动")
        return 0
    r = Router(after.kb).route(args.text)
    print(f"{path.name}: 已收录「{args.text}」 -> 第{r.project}项 {r.intent}")
    return 0
