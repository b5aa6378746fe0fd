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
