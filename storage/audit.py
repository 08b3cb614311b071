"""Audit events: written inside the transaction that makes the change, read back as a log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.models import AuditEvent
from storage.codec import detail_from_json, detail_json, moment, moment_text
from storage.db import Database, Row, Tx, in_lists, marks


async def record(tx: Tx, event: AuditEvent) -> int:
    """Write ``event`` inside the caller's open transaction; returns its id."""
    cursor = await tx.execute(
        "INSERT INTO audit_events (occurred_at, actor, action, subject_type, subject_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            moment_text(event.occurred_at),
            event.actor,
            event.action,
            event.subject_type,
            event.subject_id,
            detail_json(event.detail),
        ),
    )
    if cursor.lastrowid is None:
        raise RuntimeError("no row id for the audit event")
    return cursor.lastrowid


def event_from_row(row: Row) -> AuditEvent:
    return AuditEvent(
        id=row["id"],
        actor=row["actor"],
        action=row["action"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        occurred_at=moment(row["occurred_at"]),
        detail=detail_from_json(row["detail"]),
    )


class AuditLog:
    """Reading the audit trail."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def for_subject(self, subject_type: str, subject_id: str) -> list[AuditEvent]:
        """Everything that happened to one subject, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM audit_events WHERE subject_type = ? AND subject_id = ? ORDER BY id",
            (subject_type, subject_id),
        )
        return [event_from_row(row) for row in rows]

    async def recent(self, *, since: datetime | None = None, limit: int = 200) -> list[AuditEvent]:
        """The latest events (optionally since a moment), oldest first."""
        if since is None:
            rows = await self.db.fetchall(
                "SELECT * FROM (SELECT * FROM audit_events ORDER BY id DESC LIMIT ?) AS latest"
                " ORDER BY id",
                (limit,),
            )
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM audit_events WHERE occurred_at >= ? ORDER BY id LIMIT ?",
                (moment_text(since), limit),
            )
        return [event_from_row(row) for row in rows]

    async def matching(
        self, *, subjects: Sequence[tuple[str, str]] | None = None, since: datetime | None = None
    ) -> list[AuditEvent]:
        """Every event about ``subjects`` ((type, id) pairs; None: any) since a moment,
        oldest first."""
        after = moment_text(since) if since is not None else ""
        if subjects is None:
            rows = await self.db.fetchall(
                "SELECT * FROM audit_events WHERE occurred_at >= ? ORDER BY id", (after,)
            )
            return [event_from_row(row) for row in rows]
        found: dict[int, AuditEvent] = {}
        by_type: dict[str, list[str]] = {}
        for subject_type, subject_id in subjects:
            by_type.setdefault(subject_type, []).append(subject_id)
        for subject_type, ids in by_type.items():
            for chunk in in_lists(sorted(set(ids))):
                rows = await self.db.fetchall(
                    f"SELECT * FROM audit_events WHERE subject_type = ? AND occurred_at >= ?"
                    f" AND subject_id IN ({marks(chunk)})",
                    (subject_type, after, *chunk),
                )
                found.update((int(row["id"]), event_from_row(row)) for row in rows)
        return [found[key] for key in sorted(found)]
