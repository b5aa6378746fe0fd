"""Privacy check: grep every table of the database and the log files for a user's id and PII.

    # check a database and log after your own session (exit 1 and a listing when anything is found)
    python scripts/privacy_check.py --database sqlite+aiosqlite:///data/minxin.db \\
        --log bot.log --find 7301234567 --find 13812345678

    # or let the script hold the session itself: questions with an ID number, a mobile, a
    # landline, a bank card, an e-mail and a flat number, a suggestion, 有用/没用, 转人工,
    # then /forget (删除我的记录) — through the real dialogue and storage — and check
    python scripts/privacy_check.py --session [--database postgresql+asyncpg://…]

Run it from the repository root with the project's virtualenv (.venv/bin/python).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
from pathlib import Path

from sqlalchemy import column, inspect, select, table, text

# A resident's session: (what they type or press, is it a button payload)
USER_ID = "7301234567"
WECHAT_ID = "oPrivacyCheck0123456789abc"
ID_NUMBER = "120102198506123019"  # valid check digit
MOBILE = "13812345678"
LANDLINE = "022-24125551"
BANK_CARD = "6222021234567890128"  # Luhn-valid
EMAIL = "zhang.san@example.com"
FLAT = "5号楼3单元502室"
SESSION = (
    (f"租房补贴怎么申请？我身份证{ID_NUMBER}", False),
    (f"我电话{MOBILE}，家里{LANDLINE}", False),
    ("fb:7:apply:0", True),
    (f"补贴打到卡号{BANK_CARD}吗", False),
    (f"我建议明年在{FLAT}附近多建口袋公园，联系我{EMAIL}", False),
    (f"我要投诉，住在万东路小区{FLAT}", False),
    ("护照怎么办", False),
    ("驾照怎么换", False),
    ("删除我的记录", False),
)
NEEDLES = (USER_ID, WECHAT_ID, ID_NUMBER, MOBILE, LANDLINE, BANK_CARD, EMAIL, FLAT)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _hits(value: str, needles) -> list[str]:
    """Needles in a value, also when its digits are spaced or hyphenated differently."""
    found = [n for n in needles if n in value]
    digits = _digits(value)
    found += [
        n for n in needles if n not in found and len(_digits(n)) >= 7 and _digits(n) in digits
    ]
    return found


async def grep_database(url: str, needles) -> list[str]:
    """'table.column row N: needle' for every cell of every table that contains a needle."""
    from bot.storage import Database

    db = Database(url)
    out = []
    try:
        async with db.engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            for name in names:
                cols = await conn.run_sync(
                    lambda c, n=name: [col["name"] for col in inspect(c).get_columns(n)]
                )
                t = table(name, *(column(c) for c in cols))
                for i, row in enumerate(await conn.execute(select(*t.c))):
                    for col, value in zip(cols, row, strict=True):
                        for n in _hits(str(value), needles):
                            out.append(f"{name}.{col} row {i + 1}: {n}")
    finally:
        await db.close()
    return out


def grep_logs(paths, needles) -> list[str]:
    out = []
    for path in paths:
        for k, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            out += [f"{path}:{k}: {n}" for n in _hits(line, needles)]
    return out


async def run_session(url: str) -> None:
    """The resident's session through the runner's own services, then 删除我的记录."""
    from bot.app import build_services
    from bot.config import Config
    from bot.dialogue import Dialogue
    from bot.kbholder import KBHolder
    from bot.models import Message
    from bot.storage import Database

    config = Config.model_validate({"database": {"url": url}})
    db = Database(url)
    await db.start()
    services = build_services(config, KBHolder(), db)
    await services.question_log.start()
    dialogue = Dialogue(services)
    try:
        for user_key, channel in ((f"tg:{USER_ID}", "telegram"), (f"wx:{WECHAT_ID}", "wechat")):
            await services.subscriptions.subscribe(user_key, 7)
            for said, is_button in SESSION:
                msg = Message(channel, user_key, "" if is_button else said)
                if is_button:
                    await dialogue.act(msg, said)
                else:
                    reply = await dialogue.respond(msg)
                    logging.getLogger("privacy_check").info(
                        "%s asked %r: %s", user_key, said, reply.text[:40]
                    )
    finally:
        await services.question_log.close()
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default with --session: a temp SQLite)")
    parser.add_argument("--log", action="append", default=[], help="a log file to grep")
    parser.add_argument("--find", action="append", default=[], help="a user id or PII to look for")
    parser.add_argument("--session", action="store_true", help="hold the built-in session first")
    args = parser.parse_args(argv)
    needles = list(args.find)
    logs = list(args.log)
    if args.session:
        work = Path(tempfile.mkdtemp(prefix="privacy-check-"))
        url = args.database or f"sqlite+aiosqlite:///{work / 'check.db'}"
        log_file = work / "bot.log"
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        from bot.privacy import install_log_redaction

        install_log_redaction()
        if not url.startswith("sqlite"):
            asyncio.run(_wipe(url))
        asyncio.run(run_session(url))
        handler.close()
        needles += NEEDLES
        logs.append(str(log_file))
    else:
        url = args.database
    if not url or not needles:
        parser.error("give --database and --find (or --session)")
    found = asyncio.run(grep_database(url, needles)) + grep_logs(logs, needles)
    for line in found:
        print("FOUND", line)
    where = f"{url.split('@')[-1]} + {len(logs)} log file(s)"
    if found:
        print(f"privacy check FAILED: {len(found)} finding(s) in {where}")
        return 1
    print(f"privacy check OK: none of {len(needles)} strings in {where}")
    return 0


async def _wipe(url: str) -> None:
    """A PostgreSQL check starts from empty tables (use a database of its own)."""
    import bot.storage.schema  # noqa: F401
    from bot.storage import Database
    from bot.storage.db import metadata

    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS schema_migrations"))
    await db.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
