"""Core INSERT / upsert / UPDATE statements run on SQLite as driver SQL, compiled once.

SQLAlchemy Core spends more Python per execute than SQLite spends writing the rows: every
`conn.execute(statement, rows)` builds an execution context, looks the compiled form up in its
cache, calls construct_params for each row and, for multi-row VALUES, assembles the pages again
(measured at 200 WeChat messages/s: ~0.06 of the ~0.1 ms per message the writes cost). Here a
statement is compiled once per (statement, set of row keys) with the connection's own dialect,
into the SQL string, the order of its positional parameters (`Compiled.positiontup`) and each
parameter's bind processor for that dialect (`TypeEngine.dialect_impl(dialect).bind_processor`,
what Core applies: SQLite's DateTime text, Boolean as 1/0, JSON text, None as NULL). A batch is
then one call into the sqlite3 cursor: the values stored are the ones Core stores.

An INSERT's rows go out as multi-row VALUES pages (one SQLite step per page, as Core's
"insertmanyvalues" did for bot.storage.multirow): sqlite3's executemany gives up the GIL around
each row's step, and in aiosqlite's thread, with the event loop busy, each row then waits for it
(a 340-row batch held the connection ~210 ms for ~9 ms of CPU). Other statements (UPDATE) use
executemany. Any statement shape this module does not handle (RETURNING, Python side defaults not
given in the rows, expanding IN, another paramstyle) runs through Core as before.

On PostgreSQL (asyncpg) the same compiled form serves `execute_asyncpg`: a batch of rows is one
`executemany` of asyncpg's own, outside any BEGIN/COMMIT. asyncpg sends every row's Bind/Execute
and one Sync in one write, so the rows are one implicit transaction, all or none, in one round
trip. Through Core a write-behind batch of three statements took five round trips (BEGIN, the
three, COMMIT) and Core's Python per execute (py-spy at 200 WeChat messages/s: the batches were
~8 % of the bot's CPU, half of it outside asyncpg's executemany). Synchronous `execute` on
PostgreSQL stays Core's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from sqlalchemy.sql import Executable

MAX_PARAMS = 999  # per SQLite statement: the limit of SQLite builds before 3.32
_CACHE_MAX = 256  # (statement, keys) entries kept; statements are made once per repository


class Prepared(NamedTuple):
    """One statement compiled for one set of row keys: what a batch of rows needs."""

    sql: str  # with one row's VALUES group (or the UPDATE as compiled)
    # Per positional parameter: (row key or None, constant value, bind processor or None).
    slots: tuple[tuple[str | None, Any, Callable[[Any], Any] | None], ...]
    # INSERT only: SQL before and after the VALUES group, the group, and how many of the
    # leading parameters are the row's (the rest, e.g. an upsert's SET constants, follow).
    head: str | None = None
    group: str | None = None
    tail: str | None = None
    per_row: int = 0


_cache: dict[tuple[int, int, tuple[str, ...]], tuple[Any, Any, Prepared | None]] = {}
_VALUES = re.compile(r"\) VALUES \(")


# The drivers whose SQL this module sends itself, by dialect: their paramstyle.
_PARAMSTYLES = {"sqlite": "qmark", "postgresql": "numeric_dollar"}  # sqlite3; asyncpg


def prepare(dialect, statement: Executable, keys: Sequence[str]) -> Prepared | None:
    """The statement compiled once for rows with these keys (None: Core must run it)."""
    if _PARAMSTYLES.get(dialect.name) != dialect.paramstyle:  # e.g. psycopg: Core, no cache
        return None
    key = (id(statement), id(dialect), tuple(sorted(keys)))
    entry = _cache.get(key)
    # The entry keeps its statement and dialect: an id reused by a new object is not a hit.
    if entry is not None and entry[0] is statement and entry[1] is dialect:
        return entry[2]
    if len(_cache) >= _CACHE_MAX:  # statements of repositories gone (tests): start again
        _cache.clear()
    prepared = _compile(dialect, statement, key[2])
    _cache[key] = (statement, dialect, prepared)
    return prepared


def _compile(dialect, statement, keys: tuple[str, ...]) -> Prepared | None:
    """SQL, parameter order and bind processors, as Core compiles it for such rows."""
    # As Connection.execute compiles it for a list of rows: the first row's keys, sorted.
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    if (
        compiled.positiontup is None
        or compiled.returning  # rows to read back: Core's result handling
        or compiled.insert_prefetch  # Python-side defaults Core would compute per row
        or compiled.update_prefetch
        or compiled.post_compile_params  # expanding IN (…): SQL that depends on the row
        or compiled.literal_execute_params
        or compiled.escaped_bind_names  # parameter names that are not the row's keys
    ):
        return None
    row_keys = set(keys)
    slots = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if name not in row_keys and (bind.callable is not None or bind.required):
            return None  # computed at each execute, or missing: Core computes it, or raises
        # A row's value overrides a bound constant of the same name, as in construct_params.
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        slots.append((name, None, processor) if name in row_keys else (None, bind.value, processor))
    prepared = Prepared(compiled.string, tuple(slots))
    if statement.is_insert and dialect.name == "sqlite":  # asyncpg pipelines rows anyway
        prepared = _with_values_group(prepared)
    return prepared


def _with_values_group(p: Prepared) -> Prepared:
    """An INSERT's SQL split around its one VALUES group, so n rows go as one statement."""
    # Unchanged (executemany) when the SQL is not `INSERT INTO t (…) VALUES (?, …)…`.
    found = list(_VALUES.finditer(p.sql))
    if len(found) != 1:
        return p
    start = found[0].end() - 1  # the group's "("
    depth, end = 0, None
    for i in range(start, len(p.sql)):
        depth += {"(": 1, ")": -1}.get(p.sql[i], 0)
        if depth == 0:
            end = i + 1
            break
    if end is None or "'" in p.sql[start:end] or "?" in p.sql[:start]:
        return p
    per_row = p.sql.count("?", start, end)
    # The group's parameters must be the row's, the first ones: then a page's parameters are
    # the rows' in order followed by the statement's constants (an upsert's SET values).
    if not per_row or any(name is None for name, _, _ in p.slots[:per_row]):
        return p
    return p._replace(head=p.sql[:start], group=p.sql[start:end], tail=p.sql[end:], per_row=per_row)


def _args(p: Prepared, row: dict, slots=None) -> list:
    """One row's positional parameters, each through its bind processor (as Core does)."""
    return [
        (process(row[name] if name is not None else const) if process is not None else
         row[name] if name is not None else const)
        for name, const, process in (p.slots if slots is None else slots)
    ]  # fmt: skip


def _prepared_sqlite(conn, statement: Executable, rows: list[dict]) -> Prepared | None:
    # The synchronous paths drive sqlite3's own cursor; on PostgreSQL they stay Core's.
    if conn.dialect.name != "sqlite":
        return None
    return prepare(conn.dialect, statement, rows[0].keys())


def execute(conn, statement: Executable, rows: list[dict]) -> int:
    """`conn.execute(statement, rows)`, on SQLite as driver SQL: rows inserted or changed."""
    # Rows have the first row's keys (as with Core's executemany; a missing one: KeyError).
    if not rows:
        return 0
    p = _prepared_sqlite(conn, statement, rows)
    if p is None:
        result = conn.execute(statement, rows)
        if result.returns_rows:  # read to the end, or SQLite cannot commit
            result.all()
        return result.rowcount
    cur = conn.connection.cursor()  # the sqlite3 cursor, in the transaction Core began
    try:
        if len(rows) == 1:
            cur.execute(p.sql, _args(p, rows[0]))
            return cur.rowcount
        if p.group is None:
            cur.executemany(p.sql, [_args(p, row) for row in rows])
            return cur.rowcount
        return _insert_pages(cur, p, rows)
    finally:
        cur.close()


def each(conn, statement: Executable, rows: list[dict]) -> list[int]:
    """Each row executed alone -> its rowcount (ON CONFLICT DO NOTHING: 1 if it was new)."""
    if not rows:
        return []
    p = _prepared_sqlite(conn, statement, rows)
    if p is None:
        return [conn.execute(statement, [row]).rowcount for row in rows]
    cur = conn.connection.cursor()
    try:
        counts = []
        for row in rows:
            cur.execute(p.sql, _args(p, row))
            counts.append(cur.rowcount)
        return counts
    finally:
        cur.close()


async def execute_asyncpg(driver, dialect, statement: Executable, rows: list[dict]) -> bool:
    """PostgreSQL: the rows as one asyncpg `executemany` on `driver` (an asyncpg Connection
    that SQLAlchemy opened, with its type codecs), all or none, no transaction of ours around
    it. False, nothing done: a shape this module does not handle (run it through Core)."""
    p = prepare(dialect, statement, rows[0].keys()) if rows else None
    if p is None:
        return not rows
    await driver.executemany(p.sql, [_args(p, row) for row in rows])
    return True


async def execute_one_asyncpg(driver, dialect, statement: Executable, row: dict) -> int | None:
    """PostgreSQL: one row as one statement on `driver`, committed on its own (no transaction
    of ours: one round trip) -> rows inserted or changed; None, nothing done: Core must run it."""
    p = prepare(dialect, statement, row.keys())
    if p is None:
        return None
    status = await driver.execute(p.sql, *_args(p, row))  # e.g. "INSERT 0 1", "UPDATE 3"
    count = status.rsplit(" ", 1)[-1]
    return int(count) if count.isdigit() else 0


def _insert_pages(cur, p: Prepared, rows: list[dict]) -> int:
    """Rows as multi-row VALUES pages, each within SQLite's parameter limit: the rowcount."""
    row_slots, constants = p.slots[: p.per_row], _args(p, {}, p.slots[p.per_row :])
    size = max(1, (MAX_PARAMS - len(constants)) // p.per_row)
    count = 0
    for i in range(0, len(rows), size):
        page = rows[i : i + size]
        args = []
        for row in page:
            args.extend(_args(p, row, row_slots))
        args.extend(constants)
        cur.execute(p.head + ", ".join([p.group] * len(page)) + p.tail, args)
        count += cur.rowcount
    return count
