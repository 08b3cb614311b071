"""The event inbox: thread replies, edits and deletions, stored before they are acknowledged.

Slack retries an event only a few times over a few minutes, and not at all once it has been
acknowledged. So a reply is written here first (one short transaction), then acknowledged,
then recorded as part of an answer. A crash in between leaves the row pending, and the bot
finishes it when it starts again. The catch-up, which re-reads open questions' threads,
adds what Slack never delivered through the same table, so both paths record alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.models import SharedFile
from storage.codec import moment, moment_text
from storage.db import Database, Params, Result, Row

Kind = Literal["reply", "edit", "delete"]
Source = Literal["event", "catch-up"]

ERROR_TEXT_LIMIT = 500


@dataclass(frozen=True)
class Incoming:
    """What the bot needs of a thread reply, an edit or a deletion (not the whole event)."""

    key: str
    """Slack's event id, or a key naming what the catch-up found."""
    kind: Kind
    channel: str
    ts: str
    thread_ts: str | None
    user: str | None
    text: str
    received_at: datetime
    source: Source = "event"
    has_files: bool = False
    parent_by_bot: bool = False
    files: tuple[SharedFile, ...] = ()
    """The files shared in the message (for an edit: those still on it)."""


@dataclass(frozen=True)
class InboxEntry:
    id: int
    incoming: Incoming
    attempts: int
    outcome: str | None
    """What became of it, once finished."""


class EventInbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, incoming: Incoming) -> int | None:
        """Store an incoming event; None when its key was stored before (a retry)."""
        [entry_id] = await self.add_batch([incoming])
        return entry_id

    async def add_batch(self, batch: Sequence[Incoming]) -> list[int | None]:
        """Store several events in one transaction (one commit for a burst of replies);
        for each, its new id, or None when its key was stored before."""
        results = await self.db.write_all(_inserts(batch), urgent=True)
        return _new_ids(results)

    def add_now(self, batch: Sequence[Incoming]) -> list[int | None] | None:
        """``add_batch`` at once, without leaving the event loop, if the writer is free
        (None if not: then ``add_batch``)."""
        results = self.db.write_now(_inserts(batch))
        return None if results is None else _new_ids(results)

    async def add_many(self, found: Iterable[Incoming]) -> list[int]:
        """Store what a catch-up found, skipping what is already stored; the new ids."""
        ids = []
        for incoming in found:
            entry_id = await self.add(incoming)
            if entry_id is not None:
                ids.append(entry_id)
        return ids

    async def get(self, entry_id: int) -> InboxEntry:
        row = await self.db.fetchone("SELECT * FROM event_inbox WHERE id = ?", (entry_id,))
        if row is None:
            raise LookupError(f"no inbox entry {entry_id}")
        return _entry(row)

    async def pending(self, *, limit: int = 1000) -> list[InboxEntry]:
        """Entries not yet finished, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM event_inbox WHERE done_at IS NULL ORDER BY id LIMIT ?", (limit,)
        )
        return [_entry(row) for row in rows]

    async def started(self, entry_id: int) -> int:
        """Count an attempt before it is made, so a reply that crashes the bot is not retried
        for ever; returns the attempt number."""
        rows = await self.db.write(
            "UPDATE event_inbox SET attempts = attempts + 1 WHERE id = ? RETURNING attempts",
            (entry_id,),
        )
        return int(rows[0]["attempts"]) if rows else 0

    async def finish(self, entry_id: int, outcome: str, now: datetime) -> None:
        await self.db.write(
            "UPDATE event_inbox SET done_at = ?, outcome = ? WHERE id = ? AND done_at IS NULL",
            (moment_text(now), outcome, entry_id),
        )

    async def failed(self, entry_id: int, error: str) -> None:
        """An attempt failed; the entry stays pending for the next attempt."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE event_inbox SET last_error = ? WHERE id = ?",
                (error[:ERROR_TEXT_LIMIT], entry_id),
            )

    async def forget_done(self, before: datetime) -> int:
        """Remove finished entries older than ``before`` (their effect is in the record)."""
        async with self.db.transaction() as tx:
            result = await tx.execute(
                "DELETE FROM event_inbox WHERE done_at IS NOT NULL AND done_at < ?",
                (moment_text(before),),
            )
        return result.rowcount

    async def untold(self) -> list[InboxEntry]:
        """What catch-ups recorded that the clerks have not been told of yet (a catch-up
        stopped half-way leaves some; the next one tells of them)."""
        rows = await self.db.fetchall(
            "SELECT * FROM event_inbox WHERE source = 'catch-up' AND told_at IS NULL"
            " AND done_at IS NOT NULL ORDER BY id"
        )
        return [_entry(row) for row in rows]

    async def mark_told(self, entry_ids: Iterable[int], now: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE event_inbox SET told_at = ? WHERE id = ?",
                [(moment_text(now), entry_id) for entry_id in entry_ids],
            )

    async def thread_checked(self, question_id: int) -> tuple[datetime, str | None] | None:
        """When the catch-up last read this question's thread, and the newest reply seen."""
        row = await self.db.fetchone(
            "SELECT checked_at, latest_ts FROM thread_catch_up WHERE question_id = ?",
            (question_id,),
        )
        if row is None:
            return None
        return moment(row["checked_at"]), row["latest_ts"]

    async def mark_thread_checked(
        self, question_id: int, latest_ts: str | None, now: datetime
    ) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO thread_catch_up (question_id, checked_at, latest_ts) VALUES (?, ?, ?)"
                " ON CONFLICT (question_id) DO UPDATE SET checked_at = excluded.checked_at,"
                " latest_ts = COALESCE(excluded.latest_ts, thread_catch_up.latest_ts)",
                (question_id, moment_text(now), latest_ts),
            )


_INSERT = (
    "INSERT OR IGNORE INTO event_inbox (event_key, kind, channel, ts, thread_ts,"
    " user_id, text, has_files, parent_by_bot, source, received_at, files)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _inserts(batch: Sequence[Incoming]) -> list[tuple[str, Params]]:
    return [
        (
            _INSERT,
            (
                incoming.key,
                incoming.kind,
                incoming.channel,
                incoming.ts,
                incoming.thread_ts,
                incoming.user,
                incoming.text,
                int(incoming.has_files),
                int(incoming.parent_by_bot),
                incoming.source,
                moment_text(incoming.received_at),
                files_text(incoming.files),
            ),
        )
        for incoming in batch
    ]


def _new_ids(results: Sequence[Result]) -> list[int | None]:
    return [r.lastrowid if r.rowcount == 1 else None for r in results]


def files_text(files: Sequence[SharedFile]) -> str | None:
    """The files as JSON for the inbox row (None: no files)."""
    if not files:
        return None
    return json.dumps([[f.file_id, f.name, f.mimetype, f.permalink] for f in files])


def files_from_text(text: str | None) -> tuple[SharedFile, ...]:
    if not text:
        return ()
    return tuple(
        SharedFile(str(file_id), str(name), str(mimetype), permalink)
        for file_id, name, mimetype, permalink in json.loads(text)
    )


def _entry(row: Row) -> InboxEntry:
    return InboxEntry(
        id=int(row["id"]),
        incoming=Incoming(
            key=row["event_key"],
            kind=row["kind"],
            channel=row["channel"],
            ts=row["ts"],
            thread_ts=row["thread_ts"],
            user=row["user_id"],
            text=row["text"],
            received_at=moment(row["received_at"]),
            source=row["source"],
            has_files=bool(row["has_files"]),
            parent_by_bot=bool(row["parent_by_bot"]),
            files=files_from_text(row["files"]),
        ),
        attempts=int(row["attempts"]),
        outcome=row["outcome"],
    )
