"""Several writers on one database file lose nothing.

The bot's listeners, its scheduled jobs, ``python -m bot chase`` and ``python -m bot compile``
all write to the same SQLite file. These tests put real second connections and real second
processes against it and count every row.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import db as db_module
from storage.db import Database, DatabaseUnavailable
from tests.paths import ROOT

pytestmark = pytest.mark.sqlite_only(
    "two handles and two processes on one SQLite file, its locks, busy waits and permissions"
)

TABLE = "CREATE TABLE IF NOT EXISTS tally (id INTEGER PRIMARY KEY, writer TEXT, n INTEGER)"


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """Two handles on one file: two processes, as far as SQLite can tell."""
    first = await Database.open(tmp_path / "bot.db")
    second = await Database.open(tmp_path / "bot.db")
    async with first.transaction() as tx:
        await tx.execute(TABLE)
    yield first, second
    await first.close()
    await second.close()


async def count(db: Database, writer: str | None = None) -> int:
    if writer is None:
        row = await db.fetchone("SELECT count(*) AS n FROM tally")
    else:
        row = await db.fetchone("SELECT count(*) AS n FROM tally WHERE writer = ?", (writer,))
    assert row is not None
    return int(row["n"])


async def test_a_write_after_another_process_commits_under_an_open_read(
    pair: tuple[Database, Database],
) -> None:
    """An unfinished read pinned an old snapshot, another process committed, and the next
    BEGIN IMMEDIATE failed at once with SQLITE_BUSY_SNAPSHOT: the answer was lost."""
    mine, other = pair
    async with mine.snapshot() as read:
        assert await read.fetchone("SELECT count(*) AS n FROM tally") is not None
        async with other.transaction() as tx:
            await tx.execute("INSERT INTO tally (writer, n) VALUES ('other', 1)")
        async with mine.transaction() as tx:
            await tx.execute("INSERT INTO tally (writer, n) VALUES ('mine', 1)")
    assert await count(mine) == 2


async def test_a_write_waits_while_another_process_holds_the_lock(
    pair: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Longer than SQLite's own busy timeout: the unit of work keeps trying, then lands."""
    mine, other = pair
    monkeypatch.setattr(db_module, "BUSY_PATIENCE", 30.0)
    release = asyncio.Event()
    holding = asyncio.Event()

    async def hold_the_lock() -> None:
        async with other.transaction() as tx:
            await tx.execute("INSERT INTO tally (writer, n) VALUES ('other', 1)")
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_lock())
    await holding.wait()

    async def write() -> None:
        async with mine.transaction() as tx:
            await tx.execute("INSERT INTO tally (writer, n) VALUES ('mine', 1)")

    writer = asyncio.create_task(write())
    await asyncio.sleep(0.05)
    assert not writer.done()
    release.set()
    await asyncio.gather(holder, writer)
    assert await count(mine) == 2


async def test_a_writer_that_outwaits_its_patience_says_so(
    pair: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, other = pair
    monkeypatch.setattr(db_module, "BUSY_PATIENCE", 0.0)
    async with other.transaction() as tx:
        await tx.execute("INSERT INTO tally (writer, n) VALUES ('other', 1)")
        with pytest.raises(db_module.DatabaseBusy, match="stayed locked"):
            async with mine.transaction() as tx2:
                await tx2.execute("INSERT INTO tally (writer, n) VALUES ('mine', 1)")
    assert await count(mine) == 1


WRITER = """
import asyncio, sys
from storage.db import Database

async def main(path, name, rows):
    db = await Database.open(path)
    try:
        for n in range(rows):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO tally (writer, n) VALUES (?, ?)", (name, n))
            await db.fetchall("SELECT count(*) FROM tally")
    finally:
        await db.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_processes_and_coroutines_writing_at_once_lose_nothing(
    pair: tuple[Database, Database],
) -> None:
    mine, _ = pair
    rows = 150
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WRITER,
            mine.path,
            f"process-{i}",
            str(rows),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=asyncio.subprocess.PIPE,
        )
        for i in range(2)
    ]

    async def coroutine_writer(name: str) -> None:
        for n in range(rows):
            async with mine.snapshot() as read:
                await read.fetchall("SELECT writer FROM tally LIMIT 5")
                async with mine.transaction() as tx:
                    await tx.execute("INSERT INTO tally (writer, n) VALUES (?, ?)", (name, n))

    await asyncio.gather(*(coroutine_writer(f"coroutine-{i}") for i in range(3)))
    for process in processes:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, stderr.decode()
    for name in ("process-0", "process-1", "coroutine-0", "coroutine-1", "coroutine-2"):
        assert await count(mine, name) == rows, name


async def test_a_failed_unit_of_work_leaves_nothing_behind(
    pair: tuple[Database, Database],
) -> None:
    mine, _ = pair
    with pytest.raises(RuntimeError):
        async with mine.transaction() as tx:
            await tx.execute("INSERT INTO tally (writer, n) VALUES ('mine', 1)")
            raise RuntimeError("the listener failed half-way")
    async with mine.transaction() as tx:
        await tx.execute("INSERT INTO tally (writer, n) VALUES ('mine', 2)")
    rows = await mine.fetchall("SELECT n FROM tally")
    assert [r["n"] for r in rows] == [2]


async def test_the_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "records" / "bot.db"
    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            await tx.execute(TABLE)
    finally:
        await db.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_a_file_that_is_not_a_database_is_one_line_and_leaks_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database", encoding="utf-8")
    with pytest.raises(DatabaseUnavailable, match="file is not a database"):
        await Database.open(path)


async def test_memory_is_not_a_record(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="must be a file"):
        await Database.open(":memory:")


async def test_an_urgent_unit_of_work_goes_before_those_already_waiting() -> None:
    turns = db_module.WriterTurns()
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def unit(name: str, *, urgent: bool = False, hold: bool = False) -> None:
        async with turns.turn(urgent=urgent):
            order.append(name)
            if hold:
                holding.set()
                await release.wait()

    first = asyncio.create_task(unit("first", hold=True))
    await holding.wait()
    waiting = [asyncio.create_task(unit(f"background {n}")) for n in range(3)]
    await asyncio.sleep(0)
    ack = asyncio.create_task(unit("store before ack", urgent=True))
    cancelled = asyncio.create_task(unit("gone"))
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await asyncio.gather(first, ack, *waiting)
    assert order == ["first", "store before ack", "background 0", "background 1", "background 2"]
