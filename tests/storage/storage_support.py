"""Actors, a clock value and helpers shared by the storage tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.core.models import Meeting, Question
from bot.core.permissions import Actor
from storage.db import Database
from storage.repositories import Repositories

NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
CLERK = Actor("UCLERK01", is_clerk=True)
ASKER = Actor("UMEMBER1")
OFFICER = Actor("UOFFICER1")
DEPUTY = Actor("UDEPUTY1", deputy_for=frozenset({"DCSC"}))
OTHER_OFFICER = Actor("UOFFICER2")
STRANGER = Actor("USTRANGE1")


@dataclass(frozen=True)
class Seeded:
    repos: Repositories
    db: Database
    path: Path
    source: Meeting
    target: Meeting


async def count(db: Database, table: str) -> int:
    """Rows in a table (the name is always a literal in the tests)."""
    row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def route_and_send(
    seeded: Seeded, question: Question, due: date = date(2026, 4, 27)
) -> Question:
    """The clerk routes the question to the DCSC officer for the target meeting, and sends it."""
    await seeded.repos.questions.triage(
        question.id,
        CLERK,
        NOW,
        addressed_role="DCSC",
        assigned_officer=OFFICER.user_id,
        target_meeting_id=seeded.target.id,
        due_date=due,
    )
    return await seeded.repos.questions.send(question.id, CLERK, NOW)
