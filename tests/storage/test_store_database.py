from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.core.lifecycle import draft_question
from bot.core.models import Asker, OnBehalfOf
from storage.db import Database
from storage.migrations import MIGRATIONS
from storage.repositories import Repositories
from storage.store import open_store
from tests.storage.storage_support import ASKER, NOW, Seeded


async def test_migrations_are_numbered_in_order() -> None:
    numbers = [m.number for m in MIGRATIONS]
    # Strictly increasing from 1; a number held for a branch not yet merged may be missing.
    assert numbers[0] == 1
    assert numbers == sorted(set(numbers))


async def test_fresh_database_has_every_migration(db: Database) -> None:
    assert await db.applied_migrations() == [m.number for m in MIGRATIONS]


async def test_restart_keeps_data_and_does_not_reapply_migrations(
    seeded: Seeded, tmp_path: Path
) -> None:
    repos = seeded.repos
    draft = draft_question(
        ASKER,
        source_meeting_id=seeded.source.id,
        agenda_item="4",
        asker=Asker(OnBehalfOf.COMMISSION),
        text="What did the last audit find?",
    )
    created = await repos.questions.create(draft, NOW)
    await seeded.db.close()

    reopened = await open_store(seeded.path)
    try:
        assert await reopened.migrate() == []
        rows = await reopened.fetchall("SELECT number FROM schema_migrations")
        assert len(rows) == len(MIGRATIONS)
        again = Repositories.on(reopened)
        assert await again.questions.by_reference(created.reference) == created
        assert (await again.meetings.on_date("CYP", date(2026, 5, 11))) == seeded.target
        assert [r.key for r in await again.officers.roles()] == ["DCSC", "HoS"]
        history = await again.audit.for_subject("question", created.reference)
        assert [e.action for e in history] == ["question_submitted"]
        # Numbering carries on after the restart.
        second = await again.questions.create(draft, NOW)
        assert second.reference == "CYP-2023-12-18-Q02"
    finally:
        await reopened.close()
