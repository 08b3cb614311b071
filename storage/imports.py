"""Pasted lists waiting for the clerk's review (the text can be longer than a modal holds)."""

from __future__ import annotations

from datetime import datetime

from bot.core.errors import NotFound
from storage.codec import moment_text
from storage.db import Database


class PendingImports:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, clerk: str, pasted: str, now: datetime) -> int:
        async with self.db.transaction() as tx:
            return await tx.insert(
                "INSERT INTO pending_imports (clerk, pasted, created_at) VALUES (?, ?, ?)",
                (clerk, pasted, moment_text(now)),
            )

    async def get(self, import_id: int, clerk: str) -> str:
        """The pasted text, only for the clerk who pasted it."""
        row = await self.db.fetchone(
            "SELECT pasted FROM pending_imports WHERE id = ? AND clerk = ?", (import_id, clerk)
        )
        if row is None:
            raise NotFound("That pasted list is no longer waiting: paste it again.")
        return str(row["pasted"])

    async def forget(self, import_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM pending_imports WHERE id = ?", (import_id,))
