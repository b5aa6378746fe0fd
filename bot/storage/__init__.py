"""Async storage on SQLAlchemy 2: SQLite by default, PostgreSQL by `database.url`."""

from bot.storage.db import Database

__all__ = ["Database"]
