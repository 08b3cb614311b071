"""The SQLite connection: one connection, one write path, numbered migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]


class Database:
    """One aiosqlite connection shared by the bot.

    Reads go straight to the connection. Every write goes through
    ``async with db.transaction() as tx:`` which holds a lock and opens
    ``BEGIN IMMEDIATE`` so that one coroutine's commit can never commit another's
    half-done work.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating folders as needed) and migrate the database at ``path``."""
        db = cls(path)
        await db.connect()
        await db.migrate()
        return db

    async def connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        await self._conn.execute("PRAGMA synchronous=NORMAL")

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The one write path: lock, BEGIN IMMEDIATE, commit or roll back."""
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            row: aiosqlite.Row | None = await cur.fetchone()
            return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            rows = await cur.fetchall()
            return list(rows)

    async def applied_migrations(self) -> list[int]:
        rows = await self.fetchall("SELECT number FROM schema_migrations ORDER BY number")
        return [int(r["number"]) for r in rows]

    async def migrate(self) -> list[int]:
        """Apply every migration not yet recorded, each in its own transaction."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL"
            " DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
        )
        done = set(await self.applied_migrations())
        applied: list[int] = []
        for migration in MIGRATIONS:
            if migration.number in done:
                continue
            async with self.transaction() as tx:
                for statement in migration.statements:
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (number, name) VALUES (?, ?)",
                    (migration.number, migration.name),
                )
            logger.info("applied migration %04d %s", migration.number, migration.name)
            applied.append(migration.number)
        return applied


async def execute_many(tx: aiosqlite.Connection, sql: str, rows: Iterable[Params]) -> None:
    """Run one statement for each row inside an open transaction."""
    await tx.executemany(sql, rows)
