"""The installations of the bot in many workspaces, the OAuth states of installs in progress
and each workspace's settings (storage/installations.py), on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.core.clock import FixedClock
from storage.audit import AuditLog
from storage.db import Database
from storage.installations import (
    InstallationStore,
    InstalledTeam,
    OAuthStateStore,
    WorkspaceSettings,
)
from storage.pg import PostgresDatabase
from storage.store import open_store
from storage.transfer import copy_record
from tests.storage.storage_support import count

NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 4, 1, 9, 0, 0, 123456, tzinfo=UTC).timestamp()
T2 = datetime(2026, 4, 8, 9, 0, tzinfo=UTC).timestamp()
T3 = datetime(2026, 4, 15, 9, 0, tzinfo=UTC).timestamp()
EXPIRES = int(datetime(2026, 4, 20, 22, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store(db: Database, clock: FixedClock) -> InstallationStore:
    return InstallationStore(db, clock)


def installation(
    *,
    team_id: str | None = "T0HACKNEY",
    user_id: str = "U0INSTALL1",
    installed_at: float = T1,
    bot_token: str | None = "xoxb-hackney-1",
    **fields: Any,
) -> Installation:
    """An installation with every field slack_sdk keeps set to something."""
    values: dict[str, Any] = {
        "app_id": "A0SCRUTINY",
        "enterprise_id": "E0LONDON",
        "enterprise_name": "London Councils",
        "enterprise_url": "https://london.enterprise.slack.com/",
        "team_id": team_id,
        "team_name": "Hackney Council",
        "bot_token": bot_token,
        "bot_id": "B0BOT0001",
        "bot_user_id": "U0BOTUSER",
        "bot_scopes": "chat:write,commands,users:read",
        "bot_refresh_token": "xoxe-1-bot-refresh",
        "bot_token_expires_at": EXPIRES,
        "user_id": user_id,
        "user_token": "xoxp-installer",
        "user_scopes": "search:read",
        "user_refresh_token": "xoxe-1-user-refresh",
        "user_token_expires_at": EXPIRES + 60,
        "incoming_webhook_url": "https://hooks.slack.com/services/T0/B0/secret",
        "incoming_webhook_channel": "#scrutiny",
        "incoming_webhook_channel_id": "C0SCRUTINY",
        "incoming_webhook_configuration_url": "https://hackney.slack.com/services/B0",
        "is_enterprise_install": False,
        "token_type": "bot",
        "installed_at": installed_at,
        "custom_values": {"council": "Hackney", "wards": ["Dalston", "Hoxton"], "seats": 57},
    }
    values.update(fields)
    return Installation(**values)


# --- installations and bots ------------------------------------------------------------------


async def test_an_installation_and_its_bot_come_back_as_saved(store: InstallationStore) -> None:
    saved = installation()
    await store.async_save(saved)
    found = await store.async_find_installation(enterprise_id="E0LONDON", team_id="T0HACKNEY")
    assert found is not None
    assert found.to_dict() == saved.to_dict()
    assert found.custom_values == saved.custom_values
    assert found.installed_at == pytest.approx(saved.installed_at, abs=1e-6)
    bot = await store.async_find_bot(enterprise_id="E0LONDON", team_id="T0HACKNEY")
    assert bot is not None and bot.to_dict() == saved.to_bot().to_dict()


async def test_a_bot_saved_alone_comes_back_as_saved(store: InstallationStore) -> None:
    saved = Bot(
        app_id="A0SCRUTINY",
        enterprise_id=None,
        enterprise_name=None,
        team_id="T0ISLINGTON",
        team_name="Islington Council",
        bot_token="xoxb-islington",
        bot_id="B0BOT0002",
        bot_user_id="U0BOTUSER2",
        bot_scopes=["chat:write", "commands"],
        bot_refresh_token=None,
        bot_token_expires_at=None,
        installed_at=T2,
        custom_values={"note": "Zoë's council"},
    )
    await store.async_save_bot(saved)
    found = await store.async_find_bot(enterprise_id=None, team_id="T0ISLINGTON")
    assert found is not None and found.to_dict() == saved.to_dict()
    assert found.enterprise_id is None  # stored as '', read back as slack_sdk gave it
    assert await store.async_find_bot(enterprise_id="E0LONDON", team_id="T0ISLINGTON") is None


async def test_the_latest_installation_in_a_workspace_wins(
    store: InstallationStore, db: Database
) -> None:
    first = installation(user_id="U0FIRST01", installed_at=T1, bot_token="xoxb-first")
    later = installation(user_id="U0LATER01", installed_at=T2, bot_token="xoxb-later")
    await store.async_save(later)  # saved out of order: the moment decides, not the order
    await store.async_save(first)
    found = await store.async_find_installation(enterprise_id="E0LONDON", team_id="T0HACKNEY")
    assert found is not None and found.user_id == "U0LATER01"
    bot = await store.async_find_bot(enterprise_id="E0LONDON", team_id="T0HACKNEY")
    assert bot is not None and bot.bot_token == "xoxb-later"
    assert await count(db, "slack_installations") == 2
    other = await store.async_find_installation(enterprise_id="E0LONDON", team_id="T0ELSEWHERE")
    assert other is None


async def test_a_users_own_installation_is_found_with_the_latest_bot_token(
    store: InstallationStore,
) -> None:
    await store.async_save(installation(user_id="U0FIRST01", installed_at=T1, bot_token="xoxb-1"))
    await store.async_save(installation(user_id="U0LATER01", installed_at=T2, bot_token="xoxb-2"))
    own = await store.async_find_installation(
        enterprise_id="E0LONDON", team_id="T0HACKNEY", user_id="U0FIRST01"
    )
    assert own is not None
    assert (own.user_id, own.user_token, own.bot_token) == (
        "U0FIRST01",
        "xoxp-installer",
        "xoxb-2",
    )
    nobody = await store.async_find_installation(
        enterprise_id="E0LONDON", team_id="T0HACKNEY", user_id="U0NOBODY1"
    )
    assert nobody is None


async def test_an_installation_without_a_bot_token_borrows_the_workspaces_bot(
    store: InstallationStore,
) -> None:
    await store.async_save(installation(user_id="U0FIRST01", installed_at=T1))
    await store.async_save(installation(user_id="U0USERONLY", installed_at=T2, bot_token=None))
    found = await store.async_find_installation(enterprise_id="E0LONDON", team_id="T0HACKNEY")
    assert found is not None
    assert (found.user_id, found.bot_token) == ("U0USERONLY", "xoxb-hackney-1")


async def test_a_rotated_token_is_saved_over_the_installation_it_renews(
    store: InstallationStore, db: Database, clock: FixedClock
) -> None:
    """Bolt saves an installation again, same moment, new tokens, when it rotates them."""
    await store.async_save(installation())
    clock.set(NOW + timedelta(hours=12))
    renewed = installation(
        bot_token="xoxb-renewed", bot_refresh_token="xoxe-1-next", bot_token_expires_at=EXPIRES * 2
    )
    await store.async_save(renewed)
    assert await count(db, "slack_installations") == 1
    assert await count(db, "slack_bots") == 1
    found = await store.async_find_installation(enterprise_id="E0LONDON", team_id="T0HACKNEY")
    assert found is not None and found.to_dict() == renewed.to_dict()
    row = await db.fetchone("SELECT saved_at FROM slack_bots")
    assert row is not None and row["saved_at"] == "2026-04-20T22:00:00.000000+00:00"


async def test_an_organisation_wide_install_is_found_for_any_of_its_workspaces(
    store: InstallationStore,
) -> None:
    org = installation(team_id=None, team_name=None, is_enterprise_install=True)
    await store.async_save(org)
    found = await store.async_find_installation(
        enterprise_id="E0LONDON", team_id="T0ANYWHERE", is_enterprise_install=True
    )
    assert found is not None and found.to_dict() == org.to_dict()
    bot = await store.async_find_bot(
        enterprise_id="E0LONDON", team_id="T0ANYWHERE", is_enterprise_install=True
    )
    assert bot is not None and bot.is_enterprise_install
    assert await store.async_find_bot(enterprise_id="E0LONDON", team_id="T0ANYWHERE") is None


async def test_deleting_takes_what_was_asked_and_nothing_else(
    store: InstallationStore, db: Database
) -> None:
    await store.async_save(installation(user_id="U0FIRST01", installed_at=T1))
    await store.async_save(installation(user_id="U0LATER01", installed_at=T2))
    await store.async_save(installation(team_id="T0ISLINGTON"))
    hackney = {"enterprise_id": "E0LONDON", "team_id": "T0HACKNEY"}

    await store.async_delete_installation(**hackney, user_id="U0LATER01")
    found = await store.async_find_installation(**hackney)
    assert found is not None and found.user_id == "U0FIRST01"
    await store.async_delete_bot(**hackney)
    assert await store.async_find_bot(**hackney) is None
    await store.async_delete_installation(**hackney)
    assert await store.async_find_installation(**hackney) is None

    await store.async_save(installation(installed_at=T3))
    await store.async_delete_all(**hackney)
    assert await store.async_find_installation(**hackney) is None
    assert await store.async_find_bot(**hackney) is None
    islington = {"enterprise_id": "E0LONDON", "team_id": "T0ISLINGTON"}
    assert await store.async_find_installation(**islington) is not None
    assert await store.async_find_bot(**islington) is not None
    assert await count(db, "slack_installations") == 1


async def test_the_installed_workspaces_oldest_first_until_one_is_forgotten(
    store: InstallationStore,
) -> None:
    await store.async_save(
        installation(team_id="T0ISLINGTON", team_name="Islington", installed_at=T2)
    )
    await store.async_save(installation(team_id="T0HACKNEY", installed_at=T1))
    # Hackney reinstalled by someone else, now named differently.
    await store.async_save(
        installation(
            team_id="T0HACKNEY", team_name="LB Hackney", user_id="U0LATER01", installed_at=T3
        )
    )
    # Someone's own authorisation without a bot does not make it an installer.
    await store.async_save(
        installation(team_id="T0HACKNEY", user_id="U0USERONLY", installed_at=T3 + 1, bot_token=None)
    )
    await store.async_save_bot(
        Bot(
            team_id="T0CAMDEN",
            bot_token="xoxb-c",
            bot_id="B0C",
            bot_user_id="U0BC",
            installed_at=T3,
        )
    )
    # An organisation-wide install has no workspace to list.
    await store.async_save(installation(team_id=None, is_enterprise_install=True, installed_at=T1))

    assert await store.teams() == [
        InstalledTeam(
            "T0HACKNEY", "LB Hackney", "E0LONDON", "U0LATER01", datetime.fromtimestamp(T1, UTC)
        ),
        InstalledTeam(
            "T0ISLINGTON", "Islington", "E0LONDON", "U0INSTALL1", datetime.fromtimestamp(T2, UTC)
        ),
        InstalledTeam("T0CAMDEN", None, None, None, datetime.fromtimestamp(T3, UTC)),
    ]

    await store.forget_team("T0HACKNEY")
    assert [team.team_id for team in await store.teams()] == ["T0ISLINGTON", "T0CAMDEN"]
    hackney = {"enterprise_id": "E0LONDON", "team_id": "T0HACKNEY"}
    assert await store.async_find_installation(**hackney) is None
    assert await store.async_find_bot(**hackney) is None
    islington = {"enterprise_id": "E0LONDON", "team_id": "T0ISLINGTON"}
    assert await store.async_find_installation(**islington) is not None


# --- OAuth states ----------------------------------------------------------------------------


@pytest.fixture
def states(db: Database, clock: FixedClock) -> OAuthStateStore:
    return OAuthStateStore(db, clock)


async def test_a_state_is_good_once(states: OAuthStateStore) -> None:
    state = await states.async_issue()
    assert len(state) >= 40 and state != await states.async_issue()
    assert await states.async_consume(state)
    assert not await states.async_consume(state)
    assert not await states.async_consume("never-issued")


async def test_an_expired_state_is_refused(states: OAuthStateStore, clock: FixedClock) -> None:
    state = await states.async_issue()
    kept = await states.async_issue()
    clock.set(NOW + timedelta(seconds=599))
    assert await states.async_consume(kept)
    clock.set(NOW + timedelta(seconds=600))
    assert not await states.async_consume(state)


async def test_expired_states_go_as_new_ones_are_issued(db: Database, clock: FixedClock) -> None:
    states = OAuthStateStore(db, clock, expiration_seconds=60)
    for _ in range(3):
        await states.async_issue()
    assert await count(db, "oauth_states") == 3
    clock.set(NOW + timedelta(seconds=60))
    fresh = await states.async_issue()
    assert await count(db, "oauth_states") == 1
    assert await states.async_consume(fresh)


async def test_two_consumers_at_once_one_wins(states: OAuthStateStore) -> None:
    state = await states.async_issue()
    results = await asyncio.gather(*(states.async_consume(state) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_two_processes_consuming_at_once_one_wins(
    db: Database, location: str | Path, clock: FixedClock
) -> None:
    other = await open_store(location)
    try:
        state = await OAuthStateStore(db, clock).async_issue()
        results = await asyncio.gather(
            *(OAuthStateStore(handle, clock).async_consume(state) for handle in (db, other) * 3)
        )
        assert sorted(results) == [False] * 5 + [True]
    finally:
        await other.close()


# --- each workspace's settings ---------------------------------------------------------------


async def test_settings_are_set_changed_and_removed_per_workspace(db: Database) -> None:
    settings = WorkspaceSettings(db)
    assert await settings.of("T0HACKNEY") == {}
    await settings.change(
        "T0HACKNEY", {"TIMEZONE": "Europe/London", "CLERK_USER_IDS": "UCLERK01"}, NOW, "U0ADMIN01"
    )
    await settings.change("T0ISLINGTON", {"TIMEZONE": "Europe/London"}, NOW, "U0ADMIN02")
    later = NOW + timedelta(days=1)
    await settings.change(
        "T0HACKNEY",
        {"CLERK_USER_IDS": None, "TIMEZONE": "Europe/Dublin", "AGENDA_DAYS": "7"},
        later,
        "cli:Jo Clerk",
    )
    await settings.change("T0HACKNEY", {"NEVER_SET": None}, later, "cli:Jo Clerk")
    assert await settings.of("T0HACKNEY") == {"AGENDA_DAYS": "7", "TIMEZONE": "Europe/Dublin"}
    assert await settings.all() == {
        "T0HACKNEY": {"AGENDA_DAYS": "7", "TIMEZONE": "Europe/Dublin"},
        "T0ISLINGTON": {"TIMEZONE": "Europe/London"},
    }
    row = await db.fetchone(
        "SELECT changed_by, changed_at FROM workspace_settings WHERE team_id = ? AND setting = ?",
        ("T0HACKNEY", "TIMEZONE"),
    )
    assert row is not None
    assert (row["changed_by"], row["changed_at"]) == (
        "cli:Jo Clerk",
        "2026-04-21T10:00:00.000000+00:00",
    )
    events = await AuditLog(db).for_subject("workspace", "T0HACKNEY")
    assert [(e.actor, e.action, e.detail) for e in events][:2] == [
        (
            "U0ADMIN01",
            "workspace_settings_changed",
            {"set": ["CLERK_USER_IDS", "TIMEZONE"], "removed": []},
        ),
        (
            "cli:Jo Clerk",
            "workspace_settings_changed",
            {"set": ["AGENDA_DAYS", "TIMEZONE"], "removed": ["CLERK_USER_IDS"]},
        ),
    ]
    assert "Europe/Dublin" not in str([e.detail for e in events])


async def test_settings_are_kept_as_given(db: Database) -> None:
    """Checking names and values is the config module's work: storage keeps the text."""
    settings = WorkspaceSettings(db)
    text = '  "quoted" = odd; DROP TABLE x; Zoë\n'
    await settings.change("T0HACKNEY", {"odd name": text, "EMPTY": ""}, NOW, "U0ADMIN01")
    assert await settings.of("T0HACKNEY") == {"EMPTY": "", "odd name": text}


# --- moving the deployment store to PostgreSQL -----------------------------------------------


async def test_installations_move_to_postgresql_and_go_on_there(
    tmp_path: Path, empty_postgresql: str, clock: FixedClock
) -> None:
    sqlite = await Database.open(tmp_path / "deployment.db")
    try:
        saved = [installation(team_id=f"T0TEAM{n}", installed_at=T1 + n) for n in range(3)]
        for one in saved:
            await InstallationStore(sqlite, clock).async_save(one)
        await WorkspaceSettings(sqlite).change("T0TEAM1", {"TIMEZONE": "UTC"}, NOW, "U0ADMIN01")
        state = await OAuthStateStore(sqlite, clock).async_issue()
        target = await open_store(empty_postgresql)
        assert isinstance(target, PostgresDatabase)
        try:
            report = await copy_record(sqlite, target)
        finally:
            await target.close()
    finally:
        await sqlite.close()
    assert report.rows["slack_installations"] == 3 and report.rows["slack_bots"] == 3
    assert report.rows["oauth_states"] == 1 and report.rows["workspace_settings"] == 1

    moved = await open_store(empty_postgresql)
    try:
        store = InstallationStore(moved, clock)
        for one in saved:
            found = await store.async_find_installation(
                enterprise_id="E0LONDON", team_id=one.team_id
            )
            assert found is not None and found.to_dict() == one.to_dict()
        assert [t.team_id for t in await store.teams()] == ["T0TEAM0", "T0TEAM1", "T0TEAM2"]
        assert await WorkspaceSettings(moved).of("T0TEAM1") == {"TIMEZONE": "UTC"}
        assert await OAuthStateStore(moved, clock).async_consume(state)
        # New rows take ids after the largest copied.
        await store.async_save(installation(team_id="T0TEAM9"))
        row = await moved.fetchone("SELECT MAX(id) AS id FROM slack_installations")
        assert row is not None and row["id"] == 4
    finally:
        await moved.close()
