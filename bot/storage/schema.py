"""Every table, the one datetime column type, and the explicit, ordered list of migrations.

Migrations run in list order, each once, recorded in `schema_migrations`: upgrades keep data.
A new table or column is a new entry at the end of MIGRATIONS; nothing registers by import.
USER_TABLES are the tables holding data about a user (a `user_key` column): /forget empties
them for that user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UTCDateTime(TypeDecorator):
    """An instant, stored and read back as aware UTC on every engine (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value if value is None or dialect.name != "sqlite" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

# ---- subscriptions ----
users = Table(
    "users",
    metadata,
    Column("user_key", String(128), primary_key=True),  # e.g. tg:123, wx:<openid>
    Column("channel", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),  # where to send: Telegram chat id / OpenID
    Column("active", Boolean, nullable=False, default=True),  # False once they blocked us
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),  # WeChat's 48-hour window
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_key", String(128), nullable=False, index=True),
    Column("project", Integer, nullable=False),  # 0 = all projects
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_key", "project", name="uq_subscription"),
)


# ---- wechat ----
wechat_replies = Table(
    "wechat_replies",
    metadata,
    Column("key", String(128), primary_key=True),  # m:<MsgId> or e:<openid>:<CreateTime>:...
    Column("user_key", String(128), nullable=False, index=True),
    Column("reply", Text, nullable=False),  # exactly what was sent back (XML, or "success")
    Column("created_at", UTCDateTime, nullable=False, index=True),
)


# ---- progress ----
progress_entries = Table(
    "progress_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", Integer, nullable=False, index=True),
    Column("status", String(8), nullable=False),
    Column("percent", Integer, nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("author", String(128), nullable=False),  # shown to residents: 管理员<author>发布
    Column("author_id", String(128), nullable=False, default=""),  # e.g. tg:123, cli:ops
    Column("created_at", UTCDateTime, nullable=False),
)


# ---- broadcast ----
broadcast_jobs = Table(
    "broadcast_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", Integer, nullable=True),  # None: every subscriber
    Column("text", Text, nullable=False),
    Column("author", String(128), nullable=False),
    Column("author_id", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("total", Integer, nullable=False, default=0),
    Column("origin", String(64), nullable=False, default=""),  # e.g. progress:12
    Column("status_chat", String(64), nullable=True),  # the admin's editable status message
    Column("status_message", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
)

broadcast_outbox = Table(
    "broadcast_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, nullable=False),
    Column("user_key", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", String(200), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("job_id", "user_key", name="uq_outbox_recipient"),
    Index("ix_outbox_job_state", "job_id", "state"),
)


# ---- audit ----
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("who", String(128), nullable=False),  # u:<pseudonym>, cli:ops, watcher, system
    Column("who_name", String(128), nullable=False, default=""),
    Column("action", String(32), nullable=False),
    Column("details", Text, nullable=False, default=""),
    Column("count", Integer, nullable=True),  # recipients, rows removed, errors…
)


# ---- qlog ----
question_log = Table(
    "question_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", UTCDateTime, nullable=False, index=True),
    Column("user_hash", String(64), nullable=False, index=True),  # HMAC, never the raw id
    Column("channel", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("project", Integer, nullable=True),
    Column("intent", String(20), nullable=False),
    Column("confidence", Float, nullable=False),
    # What the dialogue did: answered | asked_back | out_of_scope | selfcheck (NULL: logged
    # before 0301). A selfcheck row is a finished 我能享受哪些: no text, no answers, only
    # `found`, the number of projects its result named (issue 16).
    Column("outcome", String(16), nullable=True),
    Column("found", Integer, nullable=True),
)

question_log_meta = Table(
    "question_log_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

# Staff decisions on inbox clusters, by normalised wording: decided wording leaves the inbox.
inbox_decisions = Table(
    "inbox_decisions",
    metadata,
    Column("wording", String(300), primary_key=True),
    Column("action", String(10), nullable=False),  # accepted | dismissed
    Column("project", Integer, nullable=True),
    Column("decided_by", String(128), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
)


# Which notices a user has been shown (first contact, personal data removed), by HMAC key:
# each is shown once; /forget deletes the row, so a returning resident is told again.
privacy_notices = Table(
    "privacy_notices",
    metadata,
    Column("user_hash", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),  # first | pii
    Column("shown_at", UTCDateTime, nullable=False),
)


# ---- feedback ----
# Residents' 有用/没用 and suggestions: no user column at all (anonymous by construction).
answer_feedback = Table(
    "answer_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("project", Integer, nullable=False),
    Column("intent", String(20), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("question", Text, nullable=True),  # what was asked (redacted), when it was typed
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("text", Text, nullable=False),  # redacted
    Column("project", Integer, nullable=True),  # the project it is about, when the router saw one
)

# ---- durable Telegram intake (bot/storage/inbox.py) ----
telegram_inbox = Table(
    "telegram_inbox",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("payload", Text, nullable=True),  # the update's JSON until handled, then NULL
    Column("received_at", UTCDateTime, nullable=False),
    # set just before the first reply goes out: after a SIGKILL such an update may have been
    # answered already, and is not answered again (a repeat is worse than the rare loss)
    Column("sending_at", UTCDateTime, nullable=True),
    Column("handled_at", UTCDateTime, nullable=True, index=True),
)


# ---- migrations, in the order they run --------------------------------------------------------
@dataclass(frozen=True)
class Migration:
    id: str
    up: Callable[[AsyncConnection], Awaitable[None]]


def create_tables(*tables: Table) -> Callable[[AsyncConnection], Awaitable[None]]:
    async def up(conn: AsyncConnection) -> None:
        await conn.run_sync(lambda sync: metadata.create_all(sync, tables=list(tables)))

    return up


def add_column(table: Table, column: str) -> Callable[[AsyncConnection], Awaitable[None]]:
    """ALTER TABLE … ADD COLUMN for a nullable column declared above (old rows read NULL).
    A database created after the column was declared has it already (create_tables makes
    tables as declared today): then nothing to do."""

    async def up(conn: AsyncConnection) -> None:
        present = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns(table.name)}
        )
        if column in present:
            return
        col = table.c[column]
        kind = col.type.compile(dialect=conn.dialect)
        await conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column} {kind}"))

    return up


MIGRATIONS: list[Migration] = [
    Migration("0001_users_subscriptions", create_tables(users, subscriptions)),
    Migration("0100_wechat_dedupe", create_tables(wechat_replies)),
    Migration("0200_progress_entries", create_tables(progress_entries)),
    Migration("0201_broadcast_jobs_outbox", create_tables(broadcast_jobs, broadcast_outbox)),
    Migration("0202_audit_log", create_tables(audit_log)),
    Migration("0300_question_log", create_tables(question_log, question_log_meta, inbox_decisions)),
    Migration("0301_question_log_outcome", add_column(question_log, "outcome")),
    Migration("0310_privacy_notices", create_tables(privacy_notices)),
    Migration("0320_feedback_suggestions", create_tables(answer_feedback, suggestions)),
    Migration("0400_telegram_inbox", create_tables(telegram_inbox)),
    Migration("0410_question_log_found", add_column(question_log, "found")),
]

# Whom we message and what they asked are data about them; replies stored for WeChat's
# retries can mention their subscriptions.
USER_TABLES: list[Table] = [subscriptions, users, wechat_replies, broadcast_outbox]
