"""Opening the bot's store: PostgreSQL when a ``postgresql://`` URL is given, else SQLite."""

from __future__ import annotations

import re
from pathlib import Path

from storage.db import Database

TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")

SCHEMES = ("postgresql://", "postgres://")


def is_postgresql(location: str | Path) -> bool:
    """Whether ``location`` is a PostgreSQL URL (anything else is a SQLite file's path)."""
    return isinstance(location, str) and location.strip().lower().startswith(SCHEMES)


async def open_store(location: str | Path) -> Database:
    """Open and migrate the store at ``location``: a PostgreSQL URL (``#schema`` at its end:
    in that schema, see ``workspace_store``), or a SQLite file."""
    if is_postgresql(location):
        from storage.pg import PostgresDatabase  # asyncpg is loaded only when it is used

        return await PostgresDatabase.open(str(location).strip())
    return await Database.open(location)


def workspace_store(location: str | Path, team_id: str) -> str | Path:
    """Where one workspace's record is, of the many a deployment at ``location`` keeps: on
    PostgreSQL a schema of its own (``postgresql://…#workspace_t012ab3cd``), on SQLite a
    file beside the deployment's (``data/scrutiny.T012AB3CD.db``)."""
    if is_postgresql(location):
        return f"{str(location).strip()}#{workspace_schema(team_id)}"
    return workspace_file(location, team_id)


def _team(team_id: str) -> str:
    if not TEAM_ID.match(team_id):
        raise ValueError(f"{team_id!r} is not a Slack workspace id (such as T012AB3CD)")
    return team_id


def workspace_schema(team_id: str) -> str:
    """The PostgreSQL schema that holds one workspace's record: ``workspace_t012ab3cd``."""
    return f"workspace_{_team(team_id).lower()}"


def workspace_file(path: str | Path, team_id: str) -> Path:
    """The SQLite file that holds one workspace's record, beside the deployment's own:
    ``data/scrutiny.db`` gives ``data/scrutiny.T012AB3CD.db``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{_team(team_id)}{path.suffix or '.db'}")


def described(location: str | Path) -> str:
    """``location`` for a message or a log line: a URL without its password."""
    if is_postgresql(location):
        from storage.pg import without_password

        return without_password(str(location).strip())
    return str(location)


def store_location(database_url: str | None, database_path: str | Path) -> str | Path:
    """Where the settings put the store: ``DATABASE_URL`` when set, else ``DATABASE_PATH``."""
    return database_url if database_url else database_path
