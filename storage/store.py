"""Opening the bot's store: PostgreSQL when a ``postgresql://`` URL is given, else SQLite."""

from __future__ import annotations

from pathlib import Path

from storage.db import Database

SCHEMES = ("postgresql://", "postgres://")


def is_postgresql(location: str | Path) -> bool:
    """Whether ``location`` is a PostgreSQL URL (anything else is a SQLite file's path)."""
    return isinstance(location, str) and location.strip().lower().startswith(SCHEMES)


async def open_store(location: str | Path) -> Database:
    """Open and migrate the store at ``location``: a PostgreSQL URL, or a SQLite file."""
    if is_postgresql(location):
        from storage.pg import PostgresDatabase  # asyncpg is loaded only when it is used

        return await PostgresDatabase.open(str(location).strip())
    return await Database.open(location)


def described(location: str | Path) -> str:
    """``location`` for a message or a log line: a URL without its password."""
    if is_postgresql(location):
        from storage.pg import without_password

        return without_password(str(location).strip())
    return str(location)


def store_location(database_url: str | None, database_path: str | Path) -> str | Path:
    """Where the settings put the store: ``DATABASE_URL`` when set, else ``DATABASE_PATH``."""
    return database_url if database_url else database_path
