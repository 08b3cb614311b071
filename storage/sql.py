"""Small helpers shared by the repositories."""

from __future__ import annotations

from typing import Any

import aiosqlite


async def insert(tx: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> int:
    """Run an INSERT inside the caller's transaction and return the new row id."""
    cursor = await tx.execute(sql, params)
    if cursor.lastrowid is None:
        raise RuntimeError(f"no row id after {sql.split('(')[0].strip()}")
    return cursor.lastrowid


async def fetchone(
    tx: aiosqlite.Connection, sql: str, params: tuple[Any, ...]
) -> aiosqlite.Row | None:
    """Read one row inside the caller's transaction."""
    async with tx.execute(sql, params) as cursor:
        row: aiosqlite.Row | None = await cursor.fetchone()
        return row
