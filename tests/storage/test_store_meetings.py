from __future__ import annotations

from datetime import date, time

import pytest

from bot.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from bot.core.models import AgendaItem, Committee
from tests.storage.storage_support import CLERK, NOW, OFFICER, Seeded, count


async def test_committees_round_trip(seeded: Seeded) -> None:
    meetings = seeded.repos.meetings
    assert await meetings.committee("cyp") == Committee(
        "CYP", "Children and Young People Scrutiny Commission"
    )
    await meetings.save_committee("CYP", "Children and Young People", CLERK, NOW)
    await meetings.save_committee("LiH", "Living in Hackney", CLERK, NOW)
    assert [c.key for c in await meetings.committees()] == ["CYP", "LIH"]
    assert (await meetings.committee("CYP")).name == "Children and Young People"
    with pytest.raises(NotFound):
        await meetings.committee("XYZ")


async def test_meetings_round_trip_and_lookups(seeded: Seeded) -> None:
    meetings = seeded.repos.meetings
    source, target = seeded.source, seeded.target
    assert await meetings.get(source.id) == source
    assert source.time == time(19, 0)
    assert await meetings.by_reference("cyp-2023-12-18") == source
    assert await meetings.on_date("CYP", date(2026, 5, 11)) == target
    assert await meetings.on_date("CYP", date(2026, 5, 12)) is None
    assert await meetings.next_after("CYP", date(2023, 12, 18)) == target
    assert await meetings.next_after("CYP", date(2026, 5, 11)) is None
    assert await meetings.for_committee("CYP") == [source, target]
    assert await meetings.for_committee("CYP", from_date=date(2024, 1, 1)) == [target]
    with pytest.raises(NotFound):
        await meetings.by_reference("CYP-2024-01-01")
    with pytest.raises(InvalidInput):
        await meetings.by_reference("next Tuesday")
    with pytest.raises(NotFound):
        await meetings.get(999)


async def test_one_meeting_per_committee_and_day(seeded: Seeded) -> None:
    before = await count(seeded.db, "audit_events")
    with pytest.raises(Conflict, match="CYP-2026-05-11"):
        await seeded.repos.meetings.add_meeting("CYP", date(2026, 5, 11), "Again", CLERK, NOW)
    assert await count(seeded.db, "audit_events") == before
    with pytest.raises(NotFound):
        await seeded.repos.meetings.add_meeting("XYZ", date(2026, 5, 11), "x", CLERK, NOW)


async def test_rescheduling_is_audited(seeded: Seeded) -> None:
    meetings = seeded.repos.meetings
    moved = await meetings.update_meeting(
        seeded.target.id, CLERK, NOW, meeting_date=date(2026, 5, 18), title="Moved", start=None
    )
    assert await meetings.get(seeded.target.id) == moved
    assert moved.reference == "CYP-2026-05-18"
    events = await seeded.repos.audit.for_subject("meeting", str(seeded.target.id))
    assert events[-1].action == "meeting_updated"
    assert events[-1].detail["before"]["date"] == "2026-05-11"
    assert events[-1].detail["after"] == {"date": "2026-05-18", "time": None, "title": "Moved"}
    with pytest.raises(Conflict):
        await meetings.update_meeting(
            seeded.target.id, CLERK, NOW, meeting_date=date(2023, 12, 18), title="x", start=None
        )


async def test_agenda_items_in_order(seeded: Seeded) -> None:
    meetings = seeded.repos.meetings
    await meetings.add_agenda_item(seeded.source.id, "10", "Work programme", CLERK, NOW)
    await meetings.add_agenda_item(seeded.source.id, "4a", "Supplementary", CLERK, NOW)
    items = await meetings.agenda_items(seeded.source.id)
    assert [i.number for i in items] == ["4", "4a", "5", "10"]
    assert items[0] == AgendaItem(
        seeded.source.id, "4", "Children's Social Care Annual Report (2022/23)"
    )
    with pytest.raises(Conflict):
        await meetings.add_agenda_item(seeded.source.id, "4", "Duplicate", CLERK, NOW)


async def test_only_the_clerk_manages_meetings(seeded: Seeded) -> None:
    before = await count(seeded.db, "meetings")
    with pytest.raises(NotPermitted):
        await seeded.repos.meetings.add_meeting("CYP", date(2026, 7, 1), "x", OFFICER, NOW)
    with pytest.raises(NotPermitted):
        await seeded.repos.meetings.save_committee("ABC", "x", OFFICER, NOW)
    assert await count(seeded.db, "meetings") == before


async def test_every_change_is_audited(seeded: Seeded) -> None:
    actions = [e.action for e in await seeded.repos.audit.recent()]
    assert actions == [
        "committee_saved",
        "meeting_added",
        "agenda_item_added",
        "agenda_item_added",
        "meeting_added",
        "officer_role_set",
        "officer_deputy_set",
        "officer_role_set",
    ]
    assert all(
        e.actor == CLERK.user_id and e.occurred_at == NOW for e in await seeded.repos.audit.recent()
    )
