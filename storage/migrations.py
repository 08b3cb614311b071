"""Numbered, append-only schema migrations.

Never edit a migration that has shipped: add a new one at the end. Each is applied,
with its record in ``schema_migrations``, in one transaction at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "audit_events_and_processed_events",
        (
            """
            CREATE TABLE audit_events (
                id INTEGER PRIMARY KEY,
                occurred_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject_type TEXT NOT NULL,
                subject_id TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT '{}'
            )
            """,
            "CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id)",
            """
            CREATE TABLE processed_events (
                event_id TEXT PRIMARY KEY,
                received_at TEXT NOT NULL
            )
            """,
        ),
    ),
)
