"""`inbox` (unanswered questions: list, accept, dismiss) and `stats` (text or an HTML report)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import config_of, holder_of
from bot.intents import PROJECT_INTENTS
from bot.staff import inbox as inbox_ops
from bot.staff import voices
from bot.staff.cluster import find_cluster
from bot.staff.report import html_report
from bot.staff.stats import INTENT_NAMES, local_date, period_stats, text_report
from bot.staff.yamledit import EditError
from bot.storage import Database
from bot.storage.db import utcnow
from bot.storage.feedback import FeedbackRepo
from bot.storage.qlog import QuestionLogRepo


def _config_after(p) -> None:
    # Also accepted after the command (`inbox --config config.yaml`); SUPPRESS keeps a value
    # given before the command when none is given after it.
    p.add_argument("--config", default=argparse.SUPPRESS, help="the bot's config YAML")


def register(sub) -> None:
    p = sub.add_parser(
        "inbox", help="unanswered questions grouped by wording; accept or dismiss a group"
    )
    p.add_argument("--days", type=int, default=30, help="look back this many days (default 30)")
    p.add_argument("--limit", type=int, default=20, help="show at most this many groups")
    _config_after(p)
    p.set_defaults(func=run_inbox, inbox_command=None)
    isub = p.add_subparsers(dest="inbox_command", metavar="ACTION")
    a = isub.add_parser("accept", help="add a group's wording to a project's examples")
    a.add_argument("cluster", help="the group's id (e.g. a3f9c2) or its rank in the listing")
    a.add_argument("--project", type=int, required=True)
    a.add_argument("--intent", choices=PROJECT_INTENTS)
    a.add_argument("--by", default=None, help="who accepts (default: the login name)")
    a.add_argument("--days", type=int, default=argparse.SUPPRESS, help="same window as the listing")
    _config_after(a)
    a.set_defaults(func=run_inbox)
    d = isub.add_parser("dismiss", help="hide a group from the inbox")
    d.add_argument("cluster")
    d.add_argument("--by", default=None)
    d.add_argument("--days", type=int, default=argparse.SUPPRESS)
    _config_after(d)
    d.set_defaults(func=run_inbox)

    p = sub.add_parser(
        "stats", help="questions per day, project and intent; answer rate; top unanswered"
    )
    p.add_argument(
        "--days", type=int, default=30, help="the last N days, today included (default 30)"
    )
    p.add_argument("--html", type=Path, help="also write a self-contained HTML report to this file")
    _config_after(p)
    p.set_defaults(func=run_stats)

    p = sub.add_parser("suggestions", help="residents' suggestions for next year's list, by topic")
    p.add_argument("--days", type=int, default=365, help="look back this many days (default 365)")
    _config_after(p)
    p.set_defaults(func=run_suggestions)


def _with_database(job) -> int:
    """Run a command's coroutine; a database that cannot be reached is said, not a traceback."""
    try:
        return asyncio.run(job)
    except NoDatabase as e:
        print(e, file=sys.stderr)
        return 1
    except (OSError, SQLAlchemyError) as e:
        print(f"数据库打不开（database.url）：{type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
        return 1


def _who(args) -> str:
    if args.by:
        return args.by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "staff"


class NoDatabase(Exception):
    """The SQLite file a staff command would read does not exist (and is not created)."""


def database_of(args):
    """The config and its database URL; say which database on stderr, never create a stray file."""
    config = config_of(args)
    url = make_url(config.database.url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).resolve()
        if not path.exists():
            raise NoDatabase(
                f"没有找到数据库 {path}：机器人还没有运行过，或它用的是别的数据库——"
                "请加 --config 指定机器人的配置文件"
            )
        shown = str(path)
    print(f"数据库：{shown}", file=sys.stderr)
    return config


async def _open(args):
    config = database_of(args)
    db = Database(config.database.url)
    await db.start()
    repo = QuestionLogRepo.from_config(db, config)
    await repo.start()
    return config, db, repo


def run_inbox(args) -> int:
    if args.days < 1:
        print("--days 至少为 1", file=sys.stderr)
        return 2
    holder = holder_of(args)
    return _with_database(_inbox(args, holder))


async def _inbox(args, holder) -> int:
    _, db, repo = await _open(args)
    try:
        box = await inbox_ops.load_inbox(repo, holder.router, args.days)
        if args.inbox_command is None:
            print(_listing(box, args.limit, holder.kb))
            said = await FeedbackRepo(db).feedback(box.since)
            bad = voices.unhelpful(said)
            if bad:
                print("\n".join(voices.helpfulness_lines(voices.helpfulness(said, holder.kb), bad)))
            return 0
        cluster = find_cluster(box.clusters, args.cluster)
        if cluster is None:
            print(
                f"没有编号为 {args.cluster} 的问题组（最近 {args.days} 天）；先运行 python -m bot inbox 查看",
                file=sys.stderr,
            )
            return 1
        if args.inbox_command == "dismiss":
            await inbox_ops.dismiss(repo, cluster, _who(args))
            print(f"已忽略 [{cluster.id}]：{' / '.join(cluster.examples())}")
            return 0
        try:
            done = await inbox_ops.accept(
                repo,
                holder.kb,
                cluster,
                args.project,
                args.intent,
                _who(args),
                local_date(utcnow()),
            )
        except EditError as e:
            print(f"未收录：{e}", file=sys.stderr)
            return 1
        p = holder.kb.project(args.project)
        if done.added:
            print(
                f"已把 {len(done.added)} 种问法收录到第{p.number}项 {p.title}（{done.file.name}）："
            )
            print("\n".join(f"  + {t}" for t in done.added))
        else:
            print(f"第{p.number}项已有这些问法，文件未改动。")
        for text, r in done.misrouted:
            got = f"第{r.project}项" if r.project else "无项目"
            print(
                f"注意：「{text}」仍被理解为 {got} / {r.intent}；可在 knowledge/vocab.yaml 补充意图提示词"
            )
        print("运行中的机器人会自动重新加载知识库。")
        return 0
    finally:
        await db.close()


def _listing(box: inbox_ops.Inbox, limit: int, kb) -> str:
    if not box.clusters:
        return f"最近的 {box.total} 个问题都已回答或已处理，收件箱是空的。"
    rate = box.unanswered / box.total if box.total else 0
    lines = [
        f"待答问题收件箱：{local_date(box.since):%Y-%m-%d} 以来 {box.total} 个问题，"
        f"{box.unanswered} 个未答（{rate:.0%}），共 {len(box.clusters)} 组"
    ]
    for k, c in enumerate(box.clusters[:limit], 1):
        (proj, intent), _ = c.routes.most_common(1)[0]
        said = f"第{proj}项 " if proj else ""
        lines.append(
            f"{k:>3}. [{c.id}] {c.size} 次 · {c.users} 人 · 最近 {local_date(c.last_asked):%m-%d}"
            f" · 机器人理解为 {said}{INTENT_NAMES.get(intent, intent)}"
        )
        more = f"（另 {len(c.wordings) - 4} 种）" if len(c.wordings) > 4 else ""
        lines.append("       " + " / ".join(c.examples(4)) + more)
    if len(box.clusters) > limit:
        lines.append(f"  … 另有 {len(box.clusters) - limit} 组（--limit 调整）")
    lines.append(
        "收录：python -m bot inbox accept 编号 --project N [--intent apply]；忽略：python -m bot inbox dismiss 编号"
    )
    return "\n".join(lines)


def run_stats(args) -> int:
    if args.days < 1:
        print("--days 至少为 1", file=sys.stderr)
        return 2
    holder = holder_of(args)
    return _with_database(_stats(args, holder))


async def _stats(args, holder) -> int:
    _, db, repo = await _open(args)
    try:
        s = await period_stats(repo, holder.kb, holder.router, args.days, feedback=FeedbackRepo(db))
    finally:
        await db.close()
    print(text_report(s))
    if args.html:
        try:
            args.html.write_text(html_report(s, holder.kb.year.title), encoding="utf-8")
        except OSError as e:
            print(f"写不了 {args.html}: {e.strerror}", file=sys.stderr)
            return 1
        print(f"\nHTML 报告：{args.html}")
    return 0


def run_suggestions(args) -> int:
    if args.days < 1:
        print("--days 至少为 1", file=sys.stderr)
        return 2
    holder = holder_of(args)
    return _with_database(_suggestions(args, holder))


async def _suggestions(args, holder) -> int:
    _, db, _repo = await _open(args)
    try:
        since = utcnow() - dt.timedelta(days=args.days)
        items = await FeedbackRepo(db).suggestions(since)
    finally:
        await db.close()
    print("\n".join(voices.suggestion_lines(voices.by_topic(items, holder.kb))))
    return 0
