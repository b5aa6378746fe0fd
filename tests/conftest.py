"""Shared fixtures: the bundled KB, a dialogue, and a database on each available engine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.dialogue import Dialogue
from bot.kbholder import KBHolder
from bot.services import Services
from bot.storage import Database
from bot.storage.schema import metadata

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def holder() -> KBHolder:
    return KBHolder()


@pytest.fixture
def kb_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled knowledge folder to edit, with its own start-up cache folder."""
    monkeypatch.setenv("MINXIN_CACHE_DIR", str(tmp_path / "cache"))
    dest = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", dest)
    return dest


@pytest.fixture
def services(holder) -> Services:
    return Services(holder)


@pytest.fixture
def dialogue(services) -> Dialogue:
    return Dialogue(services)


@pytest.fixture
async def api():
    """A fake Telegram Bot API on 127.0.0.1 (tests/fakebotapi.py), fresh per test."""
    from fakebotapi import FakeBotAPI

    async with FakeBotAPI() as server:
        yield server


def _engines():
    yield pytest.param("sqlite", id="sqlite")
    if PG_URL:
        yield pytest.param("postgresql", id="postgresql")


@pytest.fixture(params=list(_engines()))
async def db(request, tmp_path) -> Database:
    """A migrated, empty database: a fresh SQLite file, or the test PostgreSQL wiped clean."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    else:
        database = Database(PG_URL)
        await wipe_postgres(database)
    await database.start()
    yield database
    await database.close()


async def wipe_postgres(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS schema_migrations"))
