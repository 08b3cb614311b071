"""The event inbox: thread replies, edits and deletions, stored before they are acknowledged.

Slack retries an event only a few times over a few minutes, and not at all once it has been
acknowledged. So a reply is written here first (one short transaction), then acknowledged,
then recorded as part of an answer. A crash in between leaves the row pending, and the bot
finishes it when it starts again. The catch-up, which re-reads open questions' threads,
adds what Slack never delivered through the same table, so both paths record alike.

Several bots (replicas) may share one database. A pending entry is recorded by one of them at
a time: the one that stored it, or that took it up later, holds a claim on it (``claimed_by``,
a name for that process) until ``claimed_until``, renewed as each attempt starts. Another bot
takes the entry up only when that claim has run out, or at once when the claimant was a
process on the same host that has ended (a restart after ``kill -9``). Claims are taken in a
write transaction, and write transactions run one at a time (storage/db.py, storage/pg.py),
so two bots never both win one entry. On SQLite only one bot runs on a file: its claims are
never contested, and the same code simply works.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.models import SharedFile
from storage.codec import moment, moment_text
from storage.db import Database, Params, Result, Row, marks
from storage.sweeps import process_alive, process_start_time

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


def claimant_name() -> str:
    """This process as a claimant of inbox entries: its host, process id and start time (so
    that a later process can tell it has ended), and a random part (two inboxes in one
    process are two claimants)."""
    pid = os.getpid()
    started = process_start_time(pid) or "-"
    return f"{socket.gethostname()}:{pid}:{started}:{secrets.token_hex(4)}"


def claimant_ended(claimant: str, host: str) -> bool:
    """Whether ``claimant`` (a ``claimant_name``) was a process on ``host`` that has ended;
    False when it cannot be told (another host, or a name of another form)."""
    parts = claimant.rsplit(":", 3)
    if len(parts) != 4 or parts[0] != host or not parts[1].isdigit():
        return False
    started = None if parts[2] == "-" else parts[2]
    return not process_alive(int(parts[1]), started)


@dataclass(frozen=True)
class Claim:
    """Who is recording an entry, and until when no other bot may take it up."""

    claimant: str
    until: datetime

    @classmethod
    def lasting(cls, claimant: str, now: datetime, lease: timedelta) -> Claim:
        return cls(claimant, now + lease)


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
        self.host = socket.gethostname()

    async def add(self, incoming: Incoming, claim: Claim | None = None) -> int | None:
        """Store an incoming event (claimed, if ``claim`` is given, by whoever is to record
        it); None when its key was stored before (a retry)."""
        [entry_id] = await self.add_batch([incoming], claim)
        return entry_id

    async def add_batch(
        self, batch: Sequence[Incoming], claim: Claim | None = None
    ) -> list[int | None]:
        """Store several events in one transaction (one commit for a burst of replies);
        for each, its new id, or None when its key was stored before."""
        results = await self.db.write_all(_inserts(batch, claim), urgent=True)
        return _new_ids(results)

    def add_now(
        self, batch: Sequence[Incoming], claim: Claim | None = None
    ) -> list[int | None] | None:
        """``add_batch`` at once, without leaving the event loop, if the writer is free
        (None if not: then ``add_batch``)."""
        results = self.db.write_now(_inserts(batch, claim))
        return None if results is None else _new_ids(results)

    async def add_many(self, found: Iterable[Incoming], claim: Claim | None = None) -> list[int]:
        """Store what a catch-up found, skipping what is already stored; the new ids."""
        ids = []
        for incoming in found:
            entry_id = await self.add(incoming, claim)
            if entry_id is not None:
                ids.append(entry_id)
        return ids

    async def claim(
        self,
        claimant: str,
        now: datetime,
        lease: timedelta,
        *,
        limit: int = 1000,
        only_bot: bool = False,
    ) -> list[InboxEntry]:
        """Pending entries no other bot is recording, oldest first, now claimed by
        ``claimant`` until ``now + lease``: those never claimed, those whose claim ran out,
        those of a process on this host that has ended, and ``claimant``'s own.

        ``only_bot``: no other bot can be running on this store (SQLite, whose file one bot
        at a time holds), so every other claim is one an ended bot left, taken at once: a
        bot whose container came back under another host name would otherwise wait for its
        own old claims to run out."""
        if only_bot:
            rows = await self.db.write(
                "UPDATE event_inbox SET claimed_by = ?, claimed_until = ? WHERE id IN ("
                " SELECT id FROM event_inbox WHERE done_at IS NULL ORDER BY id LIMIT ?)"
                " RETURNING *",
                (claimant, moment_text(now + lease), limit),
            )
            return sorted((_entry(row) for row in rows), key=lambda entry: entry.id)
        held = await self.db.fetchall(
            "SELECT DISTINCT claimed_by FROM event_inbox WHERE done_at IS NULL"
            " AND claimed_until > ? AND claimed_by != ?",
            (moment_text(now), claimant),
        )
        ended = [
            str(row["claimed_by"])
            for row in held
            if claimant_ended(str(row["claimed_by"]), self.host)
        ][:100]
        # One statement in a write transaction: write transactions run one at a time, in
        # every process, so no other claim can come between its choice and its update.
        rows = await self.db.write(
            "UPDATE event_inbox SET claimed_by = ?, claimed_until = ? WHERE id IN ("
            " SELECT id FROM event_inbox WHERE done_at IS NULL AND (claimed_until IS NULL"
            f" OR claimed_until <= ? OR claimed_by IN ({marks([claimant, *ended])}))"
            " ORDER BY id LIMIT ?) RETURNING *",
            (claimant, moment_text(now + lease), moment_text(now), claimant, *ended, limit),
        )
        return sorted((_entry(row) for row in rows), key=lambda entry: entry.id)

    async def release(self, claimant: str) -> int:
        """Give up ``claimant``'s claims on entries not finished (a bot stopping with work
        left), so that the next bot to look takes them up at once; how many."""
        async with self.db.transaction() as tx:
            result = await tx.execute(
                "UPDATE event_inbox SET claimed_by = NULL, claimed_until = NULL"
                " WHERE claimed_by = ? AND done_at IS NULL",
                (claimant,),
            )
        return result.rowcount

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

    async def started(self, entry_id: int, claim: Claim) -> int:
        """Count an attempt before it is made, so a reply that crashes the bot is not retried
        for ever, and renew the claim to ``claim.until``; returns the attempt number, or 0
        when the entry is not the claimant's to record (another bot took it up after the
        claim ran out, or it is finished)."""
        rows = await self.db.write(
            "UPDATE event_inbox SET attempts = attempts + 1, claimed_until = ?"
            " WHERE id = ? AND claimed_by = ? AND done_at IS NULL RETURNING attempts",
            (moment_text(claim.until), entry_id, claim.claimant),
        )
        return int(rows[0]["attempts"]) if rows else 0

    async def finish(self, entry_id: int, outcome: str, now: datetime, claimant: str) -> bool:
        """Mark the entry done, if ``claimant`` still holds it (else the bot that took it
        up finishes it); whether it did."""
        rows = await self.db.write(
            "UPDATE event_inbox SET done_at = ?, outcome = ?"
            " WHERE id = ? AND claimed_by = ? AND done_at IS NULL RETURNING id",
            (moment_text(now), outcome, entry_id, claimant),
        )
        return bool(rows)

    async def failed(
        self, entry_id: int, error: str, claimant: str, *, retried: bool = True
    ) -> None:
        """An attempt failed. If it is to be ``retried`` the entry stays pending and
        ``claimant`` lets go of it, so that the next retry, in whichever bot, takes it up;
        if not, the claimant keeps it to finish it."""
        let_go = ", claimed_by = NULL, claimed_until = NULL" if retried else ""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"UPDATE event_inbox SET last_error = ?{let_go} WHERE id = ? AND claimed_by = ?",
                (error[:ERROR_TEXT_LIMIT], entry_id, claimant),
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
    " user_id, text, has_files, parent_by_bot, source, received_at, files,"
    " claimed_by, claimed_until)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _inserts(batch: Sequence[Incoming], claim: Claim | None) -> list[tuple[str, Params]]:
    claimant = None if claim is None else claim.claimant
    until = None if claim is None else moment_text(claim.until)
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
                claimant,
                until,
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
