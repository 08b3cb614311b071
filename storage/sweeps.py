"""Sweeps that can be seen to be alive, and the messages each one sends.

Every chase sweep (the bot's scheduled ones, ``python -m bot chase``, the clerk's digest)
registers itself with its host, process id and the process's start time, and renews a
heartbeat while it sends. Whatever it is about to send is claimed in its name first, one
row per message and destination (``deliveries``), and marked sent as soon as Slack accepts
it. A sweep that dies (``kill -9``, a power cut) leaves claims behind; the next sweep sees
at once that their owner is dead (same host: that process is gone, or the id now belongs to
another process; another host: the heartbeat has lapsed) and takes them over. So after a
crash the only repeats are the messages that were in flight, and nothing stays stranded.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.codec import moment, moment_text
from storage.db import Database, Row, in_lists, marks

LEASE_SECONDS = 120.0
"""A sweep on another host whose heartbeat is older than this is taken to be dead."""

HEARTBEAT_SECONDS = 20.0
"""How often a running sweep renews its heartbeat (well inside the lease)."""

ERROR_LIMIT = 1_000


def process_start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), if it exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and brackets: count from the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, started: str | None) -> bool:
    """Is ``pid`` still the process that started at ``started``?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by someone else
    if started is None:
        return True
    return process_start_time(pid) == started


@dataclass(frozen=True)
class SweepRow:
    id: int
    host: str
    pid: int
    pid_started: str | None
    heartbeat_at: float
    finished: bool


def is_alive(sweep: SweepRow, host: str, wall_time: float, lease: float = LEASE_SECONDS) -> bool:
    if sweep.finished:
        return False
    if sweep.host == host:
        return process_alive(sweep.pid, sweep.pid_started)
    return wall_time - sweep.heartbeat_at < lease


class Sweeps:
    """Registered sweeps. Liveness uses real time (it is about processes, not the calendar)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.host = socket.gethostname()

    async def begin(self, now: datetime) -> int:
        pid = os.getpid()
        async with self.db.transaction() as tx:
            return await tx.insert(
                "INSERT INTO sweeps (host, pid, pid_started, started_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (self.host, pid, process_start_time(pid), moment_text(now), time.time()),
            )

    async def beat(self, sweep_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE sweeps SET heartbeat_at = ? WHERE id = ?", (time.time(), sweep_id)
            )

    async def finish(self, sweep_id: int, now: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE sweeps SET finished_at = ? WHERE id = ?", (moment_text(now), sweep_id)
            )

    async def alive(self) -> set[int]:
        """Ids of the sweeps that are running now, anywhere."""
        rows = await self.db.fetchall("SELECT * FROM sweeps WHERE finished_at IS NULL")
        wall_time = time.time()
        return {row.id for row in map(_sweep, rows) if is_alive(row, self.host, wall_time)}


class Deliveries:
    """One row per message and destination: claimed by a sweep, then sent (or failed)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self,
        wanted: Iterable[tuple[str, str]],
        sweep_id: int,
        alive: Collection[int],
        now: datetime,
    ) -> set[tuple[str, str]]:
        """Claim (subject, destination) pairs for ``sweep_id``; those it should send now.

        Left out: pairs sent before, and pairs claimed by another sweep still ``alive``.
        """
        others = sorted(set(alive) - {sweep_id}) or [0]
        marks = ", ".join("?" for _ in others)
        sql = (
            "INSERT INTO deliveries (subject, destination, status, sweep_id, attempts, claimed_at)"
            " VALUES (?, ?, 'claimed', ?, 1, ?)"
            " ON CONFLICT (subject, destination) DO UPDATE SET status = 'claimed',"
            " sweep_id = excluded.sweep_id, attempts = deliveries.attempts + 1,"
            " claimed_at = excluded.claimed_at WHERE deliveries.status = 'failed'"
            f" OR (deliveries.status = 'claimed' AND deliveries.sweep_id NOT IN ({marks}))"
        )
        pairs = list(dict.fromkeys(wanted))
        # One hand-over for every claim: a sweep's first message waits for none of them.
        results = await self.db.write_all(
            [
                (sql, (subject, destination, sweep_id, moment_text(now), *others))
                for subject, destination in pairs
            ]
        )
        return {pair for pair, result in zip(pairs, results, strict=True) if result.rowcount == 1}

    async def mark_sent(self, pairs: Iterable[tuple[str, str]], now: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE deliveries SET status = 'sent', sent_at = ?"
                " WHERE subject = ? AND destination = ?",
                [(moment_text(now), subject, destination) for subject, destination in pairs],
            )

    async def mark_failed(
        self, pairs: Iterable[tuple[str, str]], error: str, now: datetime
    ) -> None:
        """Not sent: due again at the next sweep."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE deliveries SET status = 'failed', last_error = ?"
                " WHERE subject = ? AND destination = ? AND status != 'sent'",
                [(error[:ERROR_LIMIT], subject, destination) for subject, destination in pairs],
            )

    async def unsent(self, subjects: Iterable[str]) -> set[str]:
        """Which of ``subjects`` have a delivery not yet sent."""
        found: set[str] = set()
        for chunk in in_lists(list(dict.fromkeys(subjects))):
            rows = await self.db.fetchall(
                "SELECT DISTINCT subject FROM deliveries"
                f" WHERE subject IN ({marks(chunk)}) AND status != 'sent'",
                tuple(chunk),
            )
            found.update(row["subject"] for row in rows)
        return found

    async def last_sent(self, prefix: str) -> datetime | None:
        """When a delivery whose subject starts with ``prefix`` was last sent."""
        row = await self.db.fetchone(
            "SELECT max(sent_at) AS at FROM deliveries WHERE subject >= ? AND subject < ?"
            " AND status = 'sent'",
            (prefix, prefix + "\uffff"),
        )
        return None if row is None or row["at"] is None else moment(row["at"])


def _sweep(row: Row) -> SweepRow:
    return SweepRow(
        id=int(row["id"]),
        host=row["host"],
        pid=int(row["pid"]),
        pid_started=row["pid_started"],
        heartbeat_at=float(row["heartbeat_at"]),
        finished=row["finished_at"] is not None,
    )
