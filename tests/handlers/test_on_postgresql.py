"""The bot end to end with its record in PostgreSQL (DATABASE_URL): a question submitted,
approved and sent, the officer's reply recorded, and all of it still there after a restart.
Skipped, with one reason, where PostgreSQL is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checks import check_postgresql
from bot.core.clock import FixedClock
from bot.core.models import QuestionState
from bot.sandbox import SlackDouble
from storage.pg import PostgresDatabase
from storage.pg_migrations import PG_MIGRATIONS
from tests.conftest import DCSC_OFFICER, bot_settings, start_bot
from tests.handlers.support import eventually, services
from tests.handlers.test_answers import REF, sent_question


@pytest.fixture
def database_url(empty_postgresql: str) -> str:
    return empty_postgresql


async def test_a_question_answered_with_the_record_in_postgresql(
    slack: SlackDouble, clock: FixedClock, tmp_path: Path, database_url: str
) -> None:
    settings = bot_settings(slack, tmp_path, database_url=database_url)
    bot = await start_bot(slack, settings, clock)
    try:
        assert isinstance(services(bot).db, PostgresDatabase)
        parent = await sent_question(slack, bot)
        await slack.post_user_message(
            parent.channel,
            DCSC_OFFICER,
            "78 care leavers live outside Hackney.",
            thread_ts=parent.ts,
        )
        question = await eventually(
            lambda: services(bot).repos.questions.by_reference(REF),
            lambda q: q.state is QuestionState.ANSWERED,
        )
    finally:
        await bot.stop()
    assert not (tmp_path / "scrutiny.db").exists()  # nothing went to a SQLite file

    again = await start_bot(slack, settings, clock)
    try:
        assert await services(again).repos.questions.by_reference(REF) == question
        [part] = await services(again).repos.answers.parts(question.id)
        assert part.text == "78 care leavers live outside Hackney."
    finally:
        await again.stop()


async def test_the_deployment_check_opens_postgresql_and_never_shows_the_password(
    database_url: str,
) -> None:
    finding = await check_postgresql(database_url)
    assert finding.ok and f"up to date (migration {PG_MIGRATIONS[-1].number})" in finding.detail
    wrong = database_url.replace("postgres@", "nobody:secret-word@").replace("/bot_", "/none_")
    finding = await check_postgresql(wrong)
    assert not finding.ok
    assert "secret-word" not in finding.line and "nobody:***@" in finding.line
