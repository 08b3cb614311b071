from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput, NotFound, NotPermitted
from bot.core.models import OfficerRole
from bot.core.permissions import Actor
from tests.storage.storage_support import CLERK, DEPUTY, NOW, OFFICER, OTHER_OFFICER, Seeded


async def test_directory_round_trip(seeded: Seeded) -> None:
    officers = seeded.repos.officers
    dcsc = OfficerRole("DCSC", "Director of Children's Social Care", "UOFFICER1", "UDEPUTY1")
    assert await officers.role("DCSC") == dcsc
    assert await officers.role("dcsc") == dcsc  # role keys ignore case
    assert await officers.roles() == [
        dcsc,
        OfficerRole("HoS", "Head of Service", "UOFFICER2", None),
    ]
    assert await officers.roles_held_by(OFFICER.user_id) == [dcsc]
    assert await officers.roles_deputised_by(DEPUTY.user_id) == [dcsc]
    assert await officers.find_role("DoE") is None
    with pytest.raises(NotFound):
        await officers.role("DoE")


async def test_changing_the_officer_keeps_the_deputy_and_the_history(seeded: Seeded) -> None:
    officers = seeded.repos.officers
    updated = await officers.set_role(
        "dcsc", "Director of Children's Social Care", OTHER_OFFICER.user_id, CLERK, NOW
    )
    assert updated == OfficerRole(
        "DCSC", "Director of Children's Social Care", "UOFFICER2", "UDEPUTY1"
    )
    assert await officers.role("DCSC") == updated
    events = await seeded.repos.audit.for_subject("officer_role", "DCSC")
    assert events[-1].detail["previous_officer"] == "UOFFICER1"
    cleared = await officers.set_deputy("DCSC", None, CLERK, NOW)
    assert cleared.deputy is None and (await officers.role("DCSC")).deputy is None


async def test_directory_refusals(seeded: Seeded) -> None:
    officers = seeded.repos.officers
    with pytest.raises(NotFound):
        await officers.set_deputy("DoE", "UDEPUTY1", CLERK, NOW)
    with pytest.raises(InvalidInput):
        await officers.set_role("DoE", "Director of Education", "jane", CLERK, NOW)
    with pytest.raises(NotPermitted):
        await officers.set_role("DoE", "Director of Education", None, OFFICER, NOW)
    assert await officers.find_role("DoE") is None


async def test_actor_comes_from_the_clerk_set_and_directory(seeded: Seeded) -> None:
    officers = seeded.repos.officers
    assert await officers.actor("UDEPUTY1", {"UCLERK01"}) == Actor(
        "UDEPUTY1", deputy_for=frozenset({"DCSC"})
    )
    assert await officers.actor("UCLERK01", {"UCLERK01"}) == Actor("UCLERK01", is_clerk=True)
