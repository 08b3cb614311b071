from __future__ import annotations

from datetime import date

import pytest

from bot.core.deadlines import agenda_publication_day
from bot.core.errors import Conflict, NotFound, NotPermitted
from bot.core.models import ClosureDay
from tests.storage.storage_support import CLERK, NOW, OFFICER, Seeded


async def test_closure_days_round_trip_and_shape_the_calendar(seeded: Seeded) -> None:
    closures = seeded.repos.closure_days
    added = await closures.add(date(2026, 5, 6), "Election count", CLERK, NOW)
    assert added == ClosureDay(date(2026, 5, 6), "Election count", "UCLERK01", NOW)
    assert await closures.days() == [added]
    assert await closures.days(from_date=date(2026, 6, 1)) == []
    calendar = await closures.calendar()
    assert not calendar.is_working_day(date(2026, 5, 6))
    assert agenda_publication_day(date(2026, 5, 11), calendar).date == date(2026, 4, 29)
    with pytest.raises(Conflict):
        await closures.add(date(2026, 5, 6), "Again", CLERK, NOW)

    await closures.remove(date(2026, 5, 6), CLERK, NOW)
    assert await closures.days() == []
    with pytest.raises(NotFound):
        await closures.remove(date(2026, 5, 6), CLERK, NOW)
    events = await seeded.repos.audit.for_subject("closure_day", "2026-05-06")
    assert [e.action for e in events] == ["closure_day_added", "closure_day_removed"]


async def test_only_the_clerk_adds_closure_days(seeded: Seeded) -> None:
    with pytest.raises(NotPermitted):
        await seeded.repos.closure_days.add(date(2026, 5, 6), "x", OFFICER, NOW)
    assert await seeded.repos.closure_days.days() == []
