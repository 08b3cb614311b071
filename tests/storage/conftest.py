"""A real store per test, on each backend: a SQLite file, and a fresh PostgreSQL database
(made from a migrated template on the session's PostgreSQL: tests/conftest.py).

Tests marked ``sqlite_only`` (what they check is SQLite's file itself) run on SQLite alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.store import open_store
from tests.pg_server import (
    NOT_INSTALLED,
    create_database,
    database_name,
    drop_database,
    with_database,
)
from tests.storage.storage_support import Seeded, seed

BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", ["sqlite"] if only_sqlite else list(BACKENDS))


@pytest.fixture
async def location(
    backend: str,
    tmp_path: Path,
    postgres_server: str | None,
    postgres_template: str | None,
) -> AsyncIterator[str | Path]:
    """Where this test's store is: a SQLite file's path, or a new PostgreSQL database's URL."""
    if backend == "sqlite":
        yield tmp_path / "bot.db"
        return
    if postgres_server is None or postgres_template is None:
        pytest.skip(NOT_INSTALLED)
    name = database_name("test")
    await create_database(postgres_server, name, template=postgres_template)
    yield with_database(postgres_server, name)
    await drop_database(postgres_server, name)


@pytest.fixture
async def db(location: str | Path) -> AsyncIterator[Database]:
    database = await open_store(location)
    yield database
    await database.close()


@pytest.fixture
async def seeded(db: Database, location: str | Path) -> Seeded:
    return await seed(db, location)
