"""A database given to a benchmark: refused unless empty (or --i-know), emptied between runs.

A benchmark fills and drops tables; pointed at a real database by mistake it would destroy it.
So a database that already has tables is refused, unless the caller passes --i-know.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect, text

from bot.storage import Database
from bot.storage.db import metadata

REFUSED = (
    "{url} already has tables ({tables}): a benchmark empties the database it is given. "
    "Use an empty database (e.g. createdb bench_x), or pass --i-know to drop them."
)


def add_arguments(parser) -> None:
    parser.add_argument("--db-url", help="an EMPTY database to use (default: a fresh SQLite file)")
    parser.add_argument(
        "--i-know",
        action="store_true",
        help="use --db-url even if it has tables (this project's are dropped!)",
    )


async def _tables(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await db.close()


def check(url: str, i_know: bool) -> None:
    """Stop (exit status 1) if `url` has tables and the caller did not say --i-know."""
    tables = asyncio.run(_tables(url))
    if tables and not i_know:
        shown = ", ".join(sorted(tables)[:5]) + (" …" if len(tables) > 5 else "")
        raise SystemExit(REFUSED.format(url=url, tables=shown))


async def empty(url: str) -> None:
    """Drop every table this project knows (the benchmark's own, after check() let it in)."""
    import bot.storage.schema  # noqa: F401  (every table known)

    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS schema_migrations"))
    finally:
        await db.close()
