"""Many rows for one INSERT sent as multi-row VALUES on SQLite, not as sqlite3's executemany.

The database's work runs in aiosqlite's thread, and executemany gives up the GIL around every
row's step; with the event loop busy, each row then waits to get it back. Measured with 50
residents writing at once: a 340-row write-behind batch held the process's one connection
~210 ms for ~9 ms of CPU, and a subscribe queued behind it. SQLAlchemy sends an INSERT …
RETURNING given many rows as pages of multi-row VALUES (its "insertmanyvalues", one step per
page, compiled once and cached), so on SQLite the batches ask for that; the returned primary
keys are not used. (SQLAlchemy does not do it without RETURNING for ON CONFLICT statements.)
"""

from __future__ import annotations

from sqlalchemy.sql.expression import Insert


def multirow(statement: Insert) -> Insert:
    """`statement` returning its table's primary key: executed with a list of rows, it goes out
    as multi-row VALUES."""
    return statement.returning(*statement.table.primary_key.columns)
