"""Reminder keys (claim, send, mark), snoozes and the sweep's inputs, on a real SQLite file."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.calendar import WorkingCalendar, local_date
from bot.core.chasing import ChaseSettings, ReminderKey, plan_reminders
from bot.core.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted
from bot.core.lifecycle import draft_question
from bot.core.models import Asker, MessageRef, OnBehalfOf, Question, QuestionState
from storage.codec import moment_text
from storage.db import Database
from storage.reminders import (
    REMINDERS_MIGRATION,
    SWEEP_INPUTS_SQL,
    ReminderRepository,
    ReminderStatus,
)
from storage.store import open_store
from storage.sweeps import LEASE_SECONDS, Sweeps
from tests.storage.storage_support import (
    ASKER,
    CLERK,
    DEPUTY,
    NOW,
    OFFICER,
    OTHER_OFFICER,
    STRANGER,
    Seeded,
    count,
    route_and_send,
)

S = QuestionState
DUE = date(2026, 4, 27)  # Monday; NOW is Monday 20 April 2026, 11:00 in London
TODAY = date(2026, 4, 20)
TOMORROW = date(2026, 4, 21)


async def open_database(path: Path | str) -> Database:
    """The normal migrations, then the reminders migration (until it joins MIGRATIONS)."""
    database = await open_store(path)
    if REMINDERS_MIGRATION.number not in await database.applied_migrations():
        async with database.transaction() as tx:
            for statement in REMINDERS_MIGRATION.statements:
                await tx.execute(statement)
            await tx.execute(
                "INSERT INTO schema_migrations (number, name) VALUES (?, ?)",
                (REMINDERS_MIGRATION.number, REMINDERS_MIGRATION.name),
            )
    return database


@pytest.fixture
async def db(location: Path | str) -> AsyncIterator[Database]:
    """Overrides the storage conftest's database so that ``seeded`` has the reminder tables."""
    database = await open_database(location)
    yield database
    await database.close()


async def sent_question(
    seeded: Seeded, text: str = "How many care leavers are housed?"
) -> Question:
    draft = draft_question(
        ASKER,
        source_meeting_id=seeded.source.id,
        agenda_item="4",
        asker=Asker(OnBehalfOf.HACKNEY_OF_TOMORROW),
        text=text,
        addressed_role="DCSC",
    )
    question = await seeded.repos.questions.create(draft, NOW)
    return await route_and_send(seeded, question, DUE)


def key(question: Question, rung: str = "sent", day: date = TODAY) -> ReminderKey:
    return ReminderKey(question.id, rung, day)


async def claim(
    reminders: ReminderRepository, keys: list[ReminderKey], now: datetime
) -> list[ReminderKey]:
    """Claim as a sweep of this (living) process does."""
    sweeps = Sweeps(reminders.db)
    sweep_id = await sweeps.begin(now)
    try:
        return await reminders.claim(keys, now, sweep_id, await sweeps.alive())
    finally:
        await sweeps.finish(sweep_id, now)


async def test_the_migration_is_recorded_once(seeded: Seeded) -> None:
    assert REMINDERS_MIGRATION.number in await seeded.db.applied_migrations()
    await seeded.db.close()
    reopened = await open_database(seeded.path)
    try:
        rows = await reopened.fetchall(
            "SELECT name FROM schema_migrations WHERE number = ?", (REMINDERS_MIGRATION.number,)
        )
        assert [row["name"] for row in rows] == ["reminders_and_snoozes"]
    finally:
        await reopened.close()


async def test_claim_send_and_fail(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    first, second = await sent_question(seeded), await sent_question(seeded, "And in Hackney?")
    a, b = key(first), key(second, "before_due_5")
    sweeps = Sweeps(seeded.db)
    running = await sweeps.begin(NOW)
    assert await reminders.claim([a, b, a], NOW, running, {running}) == [a, b]
    # Claimed by a sweep that is still running: another sweep must not send them too.
    assert await claim(reminders, [a, b], NOW + timedelta(minutes=1)) == []
    await sweeps.finish(running, NOW)
    await reminders.mark_sent(a, NOW + timedelta(seconds=2))
    await reminders.mark_failed(b, "ratelimited", NOW + timedelta(seconds=3))
    assert await reminders.sent_keys([first.id, second.id]) == {a}
    # The failed one is due again at the next sweep; the sent one never again.
    later = NOW + timedelta(minutes=30)
    assert await claim(reminders, [a, b], later) == [b]
    [record] = await reminders.history(second.id)
    assert (record.status, record.attempts, record.claimed_at) == (ReminderStatus.CLAIMED, 2, later)
    assert record.last_error == "ratelimited" and record.sent_at is None
    await reminders.mark_sent(b, later)
    await reminders.mark_failed(b, "too late to fail", later)  # a sent reminder stays sent
    [record] = await reminders.history(second.id)
    assert (record.status, record.sent_at) == (ReminderStatus.SENT, later)
    assert await claim(reminders, [a, b], later + timedelta(days=1)) == []
    with pytest.raises(NotFound):
        await reminders.mark_sent(key(first, "due_today", DUE), NOW)
    with pytest.raises(NotFound):
        await reminders.mark_failed(key(first, "due_today", DUE), "no", NOW)


async def test_a_long_error_is_cut_short(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    reminder = key(await sent_question(seeded))
    await claim(reminders, [reminder], NOW)
    await reminders.mark_failed(reminder, "x" * 5000, NOW)
    [record] = await reminders.history(reminder.question_id)
    assert record.last_error == "x" * 1000 and record.failed_at == NOW


async def test_nothing_is_claimed_once_the_answer_arrives(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    question = await sent_question(seeded)
    failed = key(question)
    await claim(reminders, [failed], NOW)
    await reminders.mark_failed(failed, "timeout", NOW)
    await seeded.repos.answers.add_part(
        question.id, MessageRef("CRESPONSES", "1776679200.000200"), "All of them.", OFFICER, NOW
    )
    later = NOW + timedelta(hours=1)
    assert (
        await claim(reminders, [failed, key(question, "before_due_2", date(2026, 4, 23))], later)
        == []
    )
    assert await reminders.inputs_for_sweep() == []


async def dead_sweep(db: Database) -> int:
    """A sweep whose process was killed: registered here, its pid gone."""
    sweeps = Sweeps(db)
    sweep_id = await sweeps.begin(NOW)
    async with db.transaction() as tx:
        await tx.execute("UPDATE sweeps SET pid = ? WHERE id = ?", (_ended_pid(), sweep_id))
    return sweep_id


def _ended_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


async def test_a_crashed_sweeps_claims_are_taken_over_at_once(seeded: Seeded) -> None:
    question = await sent_question(seeded)
    sent, in_flight = key(question), key(question, "before_due_5")
    reminders = ReminderRepository(seeded.db)
    crashed = await dead_sweep(seeded.db)
    assert await reminders.claim([sent, in_flight], NOW, crashed, {crashed}) == [sent, in_flight]
    await reminders.mark_sent(sent, NOW)
    await seeded.db.close()  # the process dies while sending ``in_flight``

    reopened = await open_database(seeded.path)
    try:
        again = ReminderRepository(reopened)
        soon = NOW + timedelta(seconds=1)
        # The rerun takes the dead sweep's claim at once; the sent one never goes again.
        assert await claim(again, [sent, in_flight], soon) == [in_flight]
        await again.mark_sent(in_flight, soon)
        assert await claim(again, [sent, in_flight], soon) == []
        assert await again.sent_keys([question.id]) == {sent, in_flight}
    finally:
        await reopened.close()


async def test_a_sweep_on_another_host_is_alive_while_its_heartbeat_is_fresh(
    seeded: Seeded,
) -> None:
    question = await sent_question(seeded)
    reminders, sweeps = ReminderRepository(seeded.db), Sweeps(seeded.db)
    elsewhere = await sweeps.begin(NOW)
    async with seeded.db.transaction() as tx:
        await tx.execute("UPDATE sweeps SET host = 'another-host' WHERE id = ?", (elsewhere,))
    assert await reminders.claim([key(question)], NOW, elsewhere, {elsewhere}) == [key(question)]
    assert await claim(reminders, [key(question)], NOW) == []
    async with seeded.db.transaction() as tx:
        await tx.execute(
            "UPDATE sweeps SET heartbeat_at = heartbeat_at - ? WHERE id = ?",
            (LEASE_SECONDS + 1, elsewhere),
        )
    assert await claim(reminders, [key(question)], NOW) == [key(question)]


async def test_a_sweep_plans_claims_and_sends_once(seeded: Seeded) -> None:
    question = await sent_question(seeded)
    reminders = ReminderRepository(seeded.db)
    calendar = WorkingCalendar()
    [item] = await reminders.inputs_for_sweep()
    assert item.question == await seeded.repos.questions.get(question.id)
    assert (item.sent_on, item.deputy, item.promised_date, item.snoozed_until) == (
        local_date(NOW),
        DEPUTY.user_id,
        None,
        None,
    )

    async def sweep(now: datetime) -> list[ReminderKey]:
        planned = plan_reminders(await reminders.inputs_for_sweep(), now, calendar, ChaseSettings())
        claimed = await claim(reminders, [reminder.key for reminder in planned], now)
        for claimed_key in claimed:
            await reminders.mark_sent(claimed_key, now)
        return claimed

    assert await sweep(NOW) == [key(question)]
    assert await sweep(NOW + timedelta(hours=2)) == []
    assert await sweep(datetime(2026, 4, 23, 9, 0, tzinfo=NOW.tzinfo)) == [
        key(question, "before_due_2", date(2026, 4, 23))
    ]


async def test_inputs_carry_the_latest_promise_and_snooze(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    question = await sent_question(seeded)
    other = await sent_question(seeded, "Who else?")
    await seeded.repos.questions.triage(
        other.id,
        CLERK,
        NOW,
        addressed_role="DCSC",
        assigned_officer=OFFICER.user_id,
        target_meeting_id=None,
        due_date=None,
    )
    await seeded.repos.answers.give_holding_reply(
        question.id, "Data due Friday.", date(2026, 4, 28), OFFICER, NOW
    )
    await seeded.repos.answers.give_holding_reply(
        question.id, "Later still.", date(2026, 4, 30), OFFICER, NOW
    )
    await reminders.set_snooze(question.id, TOMORROW, OFFICER, NOW)
    await reminders.set_snooze(question.id, date(2026, 4, 22), OFFICER, NOW)
    items = {item.question.id: item for item in await reminders.inputs_for_sweep()}
    assert items[question.id].question.state is S.HOLDING
    assert items[question.id].promised_date == date(2026, 4, 30)
    assert items[question.id].snoozed_until == date(2026, 4, 22)
    assert items[other.id].promised_date is None and items[other.id].snoozed_until is None


async def test_snoozing_is_audited_and_capped_at_the_due_date(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    question = await sent_question(seeded)
    snooze = await reminders.set_snooze(question.id, TOMORROW, OFFICER, NOW)
    assert (snooze.until, snooze.snoozed_by, snooze.snoozed_at) == (TOMORROW, OFFICER.user_id, NOW)
    assert (await reminders.active_snoozes(local_date(NOW))) == {question.id: snooze}
    assert (await reminders.active_snoozes(TOMORROW)) == {}
    events = await seeded.repos.audit.for_subject("question", question.reference)
    assert (events[-1].action, events[-1].actor, dict(events[-1].detail)) == (
        "reminders_snoozed",
        OFFICER.user_id,
        {"until": "2026-04-21", "previous_until": None, "due_date": "2026-04-27"},
    )
    # The deputy may snooze up to the due date; only the clerk beyond it.
    await reminders.set_snooze(question.id, DUE, DEPUTY, NOW)
    refusals = [
        (OFFICER, DUE + timedelta(days=1), InvalidInput, "beyond the due date"),
        (STRANGER, TOMORROW, NotPermitted, "Only"),
        (OTHER_OFFICER, TOMORROW, NotPermitted, "Only"),
        (OFFICER, local_date(NOW), InvalidInput, "after today"),
    ]
    before = await count(seeded.db, "snoozes"), await count(seeded.db, "audit_events")
    for actor, until, error, message in refusals:
        with pytest.raises(error, match=message):
            await reminders.set_snooze(question.id, until, actor, NOW)
    assert (await count(seeded.db, "snoozes"), await count(seeded.db, "audit_events")) == before
    clerk_snooze = await reminders.set_snooze(question.id, date(2026, 5, 5), CLERK, NOW)
    events = await seeded.repos.audit.for_subject("question", question.reference)
    assert events[-1].detail["previous_until"] == "2026-04-27"
    assert (await reminders.active_snoozes(DUE)) == {question.id: clerk_snooze}
    # A clerk can also shorten a snooze: the latest one counts.
    await reminders.set_snooze(question.id, TOMORROW, CLERK, NOW)
    assert (await reminders.active_snoozes(TOMORROW)) == {}


async def test_a_holding_reply_moves_the_snooze_cap(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    question = await sent_question(seeded)
    await seeded.repos.answers.give_holding_reply(
        question.id, "Next week.", date(2026, 4, 30), OFFICER, NOW
    )
    assert (await reminders.set_snooze(question.id, date(2026, 4, 30), OFFICER, NOW)).until == date(
        2026, 4, 30
    )


async def test_no_snooze_once_answered(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    question = await sent_question(seeded)
    await seeded.repos.answers.add_part(
        question.id, MessageRef("CRESPONSES", "1776679200.000300"), "Done.", OFFICER, NOW
    )
    with pytest.raises(IllegalTransition, match="no reminders to snooze"):
        await reminders.set_snooze(question.id, TOMORROW, OFFICER, NOW)
    with pytest.raises(NotFound):
        await reminders.set_snooze(999, TOMORROW, CLERK, NOW)


async def test_sent_keys_for_many_questions(seeded: Seeded) -> None:
    reminders = ReminderRepository(seeded.db)
    question = await sent_question(seeded)
    keys = [key(question, "overdue_repeat", DUE + timedelta(days=n)) for n in range(1, 3)]
    await claim(reminders, keys, NOW)
    for sent in keys:
        await reminders.mark_sent(sent, NOW)
    assert await reminders.sent_keys([question.id, *range(10_000, 11_200)]) == set(keys)
    assert await reminders.sent_keys([]) == set()


@pytest.mark.sqlite_only("reads SQLite's query plans (EXPLAIN QUERY PLAN)")
async def test_the_sweep_query_uses_indexes_among_100000_questions(seeded: Seeded) -> None:
    awaiting = await sent_question(seeded)
    closed_states = ("published", "withdrawn", "approved", "answered", "submitted")
    async with seeded.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO questions (reference, source_meeting_id, sequence, on_behalf_of,"
            " submitted_by, text, state, created_at, updated_at)"
            " VALUES (?, ?, ?, 'commission', 'UMEMBER1', 'Old question', ?, ?, ?)",
            (
                (
                    f"OLD-{n}",
                    seeded.source.id,
                    n,
                    closed_states[n % len(closed_states)],
                    moment_text(NOW),
                    moment_text(NOW),
                )
                for n in range(1_000, 101_000)
            ),
        )
    for analysed in (False, True):
        if analysed:  # as PRAGMA optimize would: SQLite then knows how many rows each state has
            async with seeded.db.transaction() as tx:
                await tx.execute("ANALYZE")
        rows = await seeded.db.fetchall("EXPLAIN QUERY PLAN " + SWEEP_INPUTS_SQL)
        plan = [str(row["detail"]) for row in rows]
        [questions] = [line for line in plan if line.startswith(("SCAN q", "SEARCH q"))]
        assert questions in (
            "SEARCH q USING INDEX questions_state_due (state=?)",
            "SCAN q USING INDEX questions_awaiting_answer",
        ), plan
        for index in ("holding_replies_question", "snoozes_question", "audit_events_subject"):
            assert any(f"USING INDEX {index} (" in line for line in plan), plan
    assert [
        item.question.id for item in await ReminderRepository(seeded.db).inputs_for_sweep()
    ] == [awaiting.id]
    rows = await seeded.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT question_id, rung, day FROM reminders"
        " WHERE status = 'sent' AND question_id IN (?, ?)",
        (1, 2),
    )
    assert "USING INDEX sqlite_autoindex_reminders_1 (question_id=?)" in str(rows[-1]["detail"])
