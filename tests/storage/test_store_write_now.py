"""``write_now``: a short write on the event loop's own thread when the writer is free, and
never a wait for a lock (the caller then hands the work to the writer)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database, IntegrityError

pytestmark = pytest.mark.sqlite_only(
    "a synchronous write on the event loop's thread through a second SQLite connection"
)

INSERT = ("INSERT INTO processed_events (event_id, received_at) VALUES (?, ?)", ("Ev1", "now"))


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.db")
    yield database
    await database.close()


async def stored(db: Database) -> list[str]:
    return [r["event_id"] for r in await db.fetchall("SELECT event_id FROM processed_events")]


async def test_a_free_writer_writes_at_once(sqlite_db: Database) -> None:
    results = sqlite_db.write_now([INSERT])
    assert results is not None and results[0].rowcount == 1
    assert await stored(sqlite_db) == ["Ev1"]


async def test_it_gives_way_while_this_process_is_writing(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as tx:
        await tx.execute("SELECT 1")
        assert sqlite_db.write_now([INSERT]) is None
    assert await stored(sqlite_db) == []
    assert sqlite_db.write_now([INSERT]) is not None


async def test_it_gives_way_at_once_while_another_process_holds_the_file(
    sqlite_db: Database,
) -> None:
    other = sqlite3.connect(sqlite_db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert sqlite_db.write_now([INSERT]) is None  # busy_timeout 0: no wait on the loop
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert sqlite_db.write_now([INSERT]) is not None
    assert await stored(sqlite_db) == ["Ev1"]


async def test_all_or_nothing(sqlite_db: Database) -> None:
    with pytest.raises(IntegrityError):
        sqlite_db.write_now([INSERT, INSERT])  # the second breaks the primary key
    assert await stored(sqlite_db) == []


async def test_on_sqlite_the_one_bot_runs_every_scheduled_job(sqlite_db: Database) -> None:
    async with (
        sqlite_db.exclusive("chase_sweep") as mine,
        sqlite_db.exclusive("chase_sweep") as too,
    ):
        assert mine and too
