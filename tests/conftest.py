"""Fixtures that start the real bot (real AsyncApp and AsyncWebClient) against the double."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings as hypothesis_settings

from bot.config import Settings
from bot.core.calendar import use_time_zone
from bot.core.clock import FixedClock
from bot.runtime import Runtime
from bot.sandbox import SlackDouble
from tests.pg_server import (
    NOT_INSTALLED,
    create_database,
    database_name,
    drop_database,
    programs,
    throwaway_server,
)

# Property tests without their own max_examples follow the profile: a quick "dev" run for
# `make test` on a laptop, the thorough "ci" run when .ci/run sets HYPOTHESIS_PROFILE=ci.
hypothesis_settings.register_profile("dev", max_examples=50)
hypothesis_settings.register_profile("ci", max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SIGNING_SECRET = "test-signing-secret"
CLERK = "UCLERK01"
MEMBER = "UMEMBER1"
HOT_REP = "UHOTREP1"
DCSC_OFFICER = "UDCSC001"
HOS_OFFICER = "UHOS0001"
DOE_OFFICER = "UDOE0001"
DEPUTY = "UDEPUTY1"
STRANGER = "USTRANGE"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
async def slack() -> AsyncIterator[SlackDouble]:
    """The Slack double with the people of a scrutiny commission."""
    async with SlackDouble(signing_secret=SIGNING_SECRET) as double:
        double.add_user(CLERK, "clerk", "Casey Clerk")
        double.add_user(MEMBER, "cllr.mirza", "Cllr Sam Mirza")
        double.add_user(HOT_REP, "young.person", "Young Person")
        double.add_user(DCSC_OFFICER, "dcsc", "Dana Director")
        double.add_user(HOS_OFFICER, "hos", "Harper Head")
        double.add_user(DOE_OFFICER, "doe", "Drew Education")
        double.add_user(DEPUTY, "deputy", "Dev Deputy")
        double.add_user(STRANGER, "stranger", "Stevie Stranger")
        yield double


@pytest.fixture(autouse=True)
def council_time_zone() -> Iterator[None]:
    """Each test starts in Europe/London, whatever zone an earlier test's bot used."""
    use_time_zone(LONDON)
    yield
    use_time_zone(LONDON)


@pytest.fixture
def clock() -> FixedClock:
    """Monday 20 April 2026, 10:00 in London; tests move it by hand."""
    return FixedClock(datetime(2026, 4, 20, 10, 0, tzinfo=LONDON))


TEST_BACKEND = os.environ.get("TEST_BACKEND", "sqlite")
"""The store the bots of the handler tests keep their record in: ``sqlite`` (the default, a
file per test) or ``postgresql`` (a database per test on the session's PostgreSQL; the
``make test-postgresql`` pass). Tests of what only the SQLite file does are marked
``sqlite_only`` and run only on SQLite."""

_bot_database_url: str | None = None
"""This test's PostgreSQL database for its bots, when ``TEST_BACKEND`` is ``postgresql``:
the same for every bot the test starts, so a restarted bot finds its record."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_BACKEND != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None and "backend" not in getattr(item, "fixturenames", ()):
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(autouse=True)
def bots_on_postgresql(request: pytest.FixtureRequest) -> Iterator[None]:
    """With ``TEST_BACKEND=postgresql``, a fresh database for this test's bots."""
    global _bot_database_url
    if TEST_BACKEND != "postgresql" or request.node.get_closest_marker("sqlite_only"):
        yield
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    if server is None or template is None:
        pytest.skip(NOT_INSTALLED)
    name = database_name("bot")
    _bot_database_url = asyncio.run(create_database(server, name, template=template))
    try:
        yield
    finally:
        _bot_database_url = None
        asyncio.run(drop_database(server, name))


def bot_settings(
    slack: SlackDouble, tmp_path: Path, *, socket_mode: bool = False, **overrides: Any
) -> Settings:
    if _bot_database_url is not None:
        overrides.setdefault("database_url", _bot_database_url)
    settings = Settings(
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token="xapp-1-test" if socket_mode else None,
        slack_api_url=slack.api_url,
        port=0,
        database_path=str(tmp_path / "scrutiny.db"),
        clerk_user_ids=frozenset({CLERK}),
    )
    return replace(settings, **overrides)


async def start_bot(slack: SlackDouble, settings: Settings, clock: FixedClock) -> Runtime:
    """Start the bot as ``python -m bot run`` does, without the scheduler's timers."""
    runtime = Runtime(
        settings, clock=clock, host="127.0.0.1", start_scheduler=False, catch_up_pace=0
    )
    await runtime.start()
    if settings.socket_mode:
        slack.connect_socket_mode()
        await slack.wait_socket_connected(5)
    else:
        slack.connect_http(runtime.events_url)
    return runtime


@pytest.fixture
async def bot(slack: SlackDouble, clock: FixedClock, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The bot in HTTP mode, receiving signed requests from the double."""
    runtime = await start_bot(slack, bot_settings(slack, tmp_path), clock)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def make_bot(
    slack: SlackDouble, clock: FixedClock, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Runtime]]]:
    """Start the bot with some settings changed, e.g. ``await make_bot(triage_required=False)``."""
    started: list[Runtime] = []

    async def start(**overrides: Any) -> Runtime:
        runtime = await start_bot(slack, bot_settings(slack, tmp_path, **overrides), clock)
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        await runtime.stop()


@pytest.fixture(params=["http", "socket"])
async def bot_any_mode(
    request: pytest.FixtureRequest, slack: SlackDouble, clock: FixedClock, tmp_path: Path
) -> AsyncIterator[Runtime]:
    """The bot in HTTP mode and then in Socket Mode."""
    settings = bot_settings(slack, tmp_path, socket_mode=request.param == "socket")
    runtime = await start_bot(slack, settings, clock)
    yield runtime
    await runtime.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    """The URL of a server to make test databases on, or None when there is none."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    bin_dir = programs()
    if bin_dir is None:
        yield None
        return
    with throwaway_server(bin_dir) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str | None) -> Iterator[str | None]:
    """A database with every migration applied, copied for each test (much faster than
    migrating each one)."""
    if postgres_server is None:
        yield None
        return
    name = database_name("template")
    asyncio.run(create_database(postgres_server, name, migrate=True))
    yield name
    asyncio.run(drop_database(postgres_server, name))


@pytest.fixture
async def empty_postgresql(
    postgres_server: str | None, postgres_template: str | None
) -> AsyncIterator[str]:
    """The URL of a migrated, empty PostgreSQL database for this test (skipped, with the
    reason, where PostgreSQL is not installed)."""
    if postgres_server is None or postgres_template is None:
        pytest.skip(NOT_INSTALLED)
    name = database_name("test")
    yield await create_database(postgres_server, name, template=postgres_template)
    await drop_database(postgres_server, name)
