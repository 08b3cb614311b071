"""Actors, a clock value and helpers shared by the storage tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
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
    path: Path | str
    """Where the store is: the SQLite file, or the PostgreSQL database's URL."""
    source: Meeting
    target: Meeting


async def seed(db: Database, path: Path | str) -> Seeded:
    """The CYP committee, two meetings and two officer roles (DCSC with a deputy, HoS)."""
    repos = Repositories.on(db)
    await repos.meetings.save_committee(
        "CYP", "Children and Young People Scrutiny Commission", CLERK, NOW
    )
    source = await repos.meetings.add_meeting(
        "CYP", date(2023, 12, 18), "CYP Scrutiny Commission", CLERK, NOW, start=time(19, 0)
    )
    await repos.meetings.add_agenda_item(
        source.id, "4", "Children's Social Care Annual Report (2022/23)", CLERK, NOW
    )
    await repos.meetings.add_agenda_item(source.id, "5", "Budget monitoring", CLERK, NOW)
    target = await repos.meetings.add_meeting(
        "CYP", date(2026, 5, 11), "CYP Scrutiny Commission", CLERK, NOW, start=time(19, 0)
    )
    await repos.officers.set_role(
        "DCSC", "Director of Children's Social Care", OFFICER.user_id, CLERK, NOW
    )
    await repos.officers.set_deputy("DCSC", DEPUTY.user_id, CLERK, NOW)
    await repos.officers.set_role("HoS", "Head of Service", OTHER_OFFICER.user_id, CLERK, NOW)
    return Seeded(repos, db, path, source, target)


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
