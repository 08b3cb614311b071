"""A real SQLite file per test, with the CYP committee, two meetings and two officer roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.storage.storage_support import Seeded, seed


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.db")
    yield database
    await database.close()


@pytest.fixture
async def seeded(db: Database, tmp_path: Path) -> Seeded:
    return await seed(db, tmp_path / "bot.db")
