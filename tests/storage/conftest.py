"""A real SQLite file per test, with the CYP committee, two meetings and two officer roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time
from pathlib import Path

import pytest

from storage.db import Database
from storage.repositories import Repositories
from tests.storage.storage_support import CLERK, DEPUTY, NOW, OFFICER, OTHER_OFFICER, Seeded


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.db")
    yield database
    await database.close()


@pytest.fixture
async def seeded(db: Database, tmp_path: Path) -> Seeded:
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
    return Seeded(repos, db, tmp_path / "bot.db", source, target)
