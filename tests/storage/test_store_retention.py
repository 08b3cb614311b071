"""The retention period: an old published question keeps its published answer and loses its
people and drafts; a withdrawn one loses its drafts; live and recent ones are untouched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.compiling import compile_meeting
from bot.config import Settings
from bot.core.clock import FixedClock
from bot.core.errors import Conflict
from bot.core.lifecycle import draft_question
from bot.core.models import Asker, MessageRef, OnBehalfOf, Question, QuestionState, SharedFile
from bot.core.permissions import Actor
from bot.core.redaction import PSEUDONYM_NAME, PSEUDONYM_PREFIX, SYSTEM_ACTORS
from bot.inbox import Inbox
from bot.scheduler import create_scheduler, retention_tick
from bot.services import Services
from storage.inbox import Incoming
from tests.storage.storage_support import ASKER, CLERK, NOW, OFFICER, Seeded, route_and_send

CHANNEL = "C0RESPONSE"
THREAD = MessageRef(CHANNEL, "1776679000.000100")
ASKER_NAME = "Sam Member"
LATER_MEMBER = Actor("UMEMBER2")
CUTOFF = NOW + timedelta(days=50)
RECENT = NOW + timedelta(days=100)
SIX_YEARS_ON = NOW + timedelta(days=6 * 365 + 200)

DRAFTS = (
    "First draft of the answer.",
    "A reply deleted later.",
    "Please add the figures.",
    "Figures are being checked.",
    "A late remark after publication.",
    "Changed after publication.",
    "An answer never published.",
    "Asked at the wrong meeting.",
    "A thread reply stored as an event.",
)
PUBLISHED_PARTS = (
    "The answer, part one.",
    "The answer, part two, with figures.",
    "A last point before approval.",
)


@dataclass(frozen=True)
class Old:
    seeded: Seeded
    published: Question
    withdrawn: Question
    live: Question
    recent: Question


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def reply(n: int) -> MessageRef:
    return MessageRef(CHANNEL, f"17766792{n:02d}.000100")


async def ask(seeded: Seeded, actor: Actor, asker: Asker, text: str) -> Question:
    draft = draft_question(
        actor, source_meeting_id=seeded.source.id, agenda_item="4", asker=asker, text=text
    )
    return await seeded.repos.questions.create(draft, NOW)


async def old_record(seeded: Seeded) -> Old:
    repos = seeded.repos
    await repos.people.remember_names({ASKER.user_id: ASKER_NAME}, NOW)
    published = await ask(
        seeded, ASKER, Asker(OnBehalfOf.MEMBER, ASKER_NAME), "How long do families wait?"
    )
    await route_and_send(seeded, published)
    await repos.questions.set_thread(published.id, THREAD, CLERK, NOW)
    await repos.reminders.set_snooze(published.id, date(2026, 4, 22), OFFICER, NOW + hours(0.5))
    await repos.answers.give_holding_reply(
        published.id, "Figures are being checked.", date(2026, 4, 24), OFFICER, NOW + hours(0.6)
    )
    answers = repos.answers
    await answers.add_part(
        published.id, reply(1), "First draft of the answer.", OFFICER, NOW + hours(1)
    )
    figures = SharedFile("F0FIG1", "Waiting times.xlsx", "application/vnd.ms-excel")
    await answers.attach(published.id, reply(1), [figures], OFFICER, NOW + hours(1))
    await answers.edit_part(reply(1), "The answer, part one.", OFFICER, NOW + hours(2))
    await answers.add_part(
        published.id, reply(2), "A reply deleted later.", OFFICER, NOW + hours(2)
    )
    draft_file = SharedFile("F0DRAFT", "Draft chart.png", "image/png")
    await answers.attach(published.id, reply(2), [draft_file], OFFICER, NOW + hours(2))
    await answers.delete_part(reply(2), OFFICER, NOW + hours(3))
    await answers.keep_only_files(reply(2), [], OFFICER, NOW + hours(3))
    await repos.questions.return_answer(
        published.id, CLERK, NOW + hours(4), note="Please add the figures."
    )
    await answers.add_part(
        published.id, reply(3), "The answer, part two, with figures.", OFFICER, NOW + hours(5)
    )
    await answers.approve(published.id, CLERK, NOW + hours(6))
    await answers.add_part(
        published.id, reply(4), "A last point before approval.", OFFICER, NOW + hours(7)
    )
    await answers.approve(published.id, CLERK, NOW + hours(8))
    await answers.publish(published.id, CLERK, NOW + hours(10))
    await answers.add_part(
        published.id, reply(5), "A late remark after publication.", OFFICER, NOW + hours(11)
    )
    await answers.edit_part(reply(1), "Changed after publication.", OFFICER, NOW + hours(12))
    await repos.inbox.add(
        Incoming(
            key="Ev0OLD1",
            kind="reply",
            channel=CHANNEL,
            ts=reply(6).ts,
            thread_ts=THREAD.ts,
            user=OFFICER.user_id,
            text="A thread reply stored as an event.",
            received_at=NOW + hours(13),
        )
    )

    withdrawn = await ask(
        seeded, ASKER, Asker(OnBehalfOf.COMMISSION), "Was this the right meeting for it?"
    )
    await route_and_send(seeded, withdrawn)
    await answers.add_part(
        withdrawn.id, reply(7), "An answer never published.", OFFICER, NOW + hours(1)
    )
    await repos.questions.withdraw(
        withdrawn.id, CLERK, NOW + hours(2), reason="Asked at the wrong meeting."
    )

    live = await ask(seeded, LATER_MEMBER, Asker(OnBehalfOf.COMMISSION), "Still waiting?")
    await route_and_send(seeded, live)

    recent = await ask(seeded, LATER_MEMBER, Asker(OnBehalfOf.COMMISSION), "Answered lately?")
    await route_and_send(seeded, recent)
    await answers.add_part(recent.id, reply(8), "A recent answer.", OFFICER, RECENT)
    await answers.approve(recent.id, CLERK, RECENT)
    await answers.publish(recent.id, CLERK, RECENT)
    return Old(seeded, published, withdrawn, live, recent)


@pytest.fixture
async def old(seeded: Seeded) -> Old:
    return await old_record(seeded)


async def compiled(seeded: Seeded) -> str:
    agenda = await compile_meeting(seeded.repos, seeded.target, CLERK, today=date(2026, 5, 1))
    return agenda.markdown


async def test_the_compiled_document_reads_the_same_but_for_the_askers_name(old: Old) -> None:
    seeded = old.seeded
    before = await compiled(seeded)
    assert ASKER_NAME in before and all(part in before for part in PUBLISHED_PARTS)
    report = await seeded.repos.retention.apply(CUTOFF, SIX_YEARS_ON)
    assert report.questions == 2
    assert await compiled(seeded) == before.replace(ASKER_NAME, PSEUDONYM_NAME)


@pytest.mark.sqlite_only("reads the SQLite file's bytes (and its -wal) after VACUUM")
async def test_drafts_and_the_askers_id_and_name_leave_the_file(old: Old) -> None:
    seeded = old.seeded
    report = await seeded.repos.retention.apply(CUTOFF, SIX_YEARS_ON)
    assert report.deleted["answer_parts"] == 3  # deleted, posted after approval, withdrawn's
    assert report.deleted["display_names"] == 1
    assert await seeded.db.vacuum()
    await seeded.db.close()
    data = b"".join(
        p.read_bytes()
        for p in (seeded.path, seeded.path.with_name(f"{seeded.path.name}-wal"))
        if p.exists()
    )
    left = [t for t in (*DRAFTS, ASKER_NAME, ASKER.user_id) if t.encode() in data]
    assert left == []
    assert all(part.encode() in data for part in PUBLISHED_PARTS)


async def test_everyone_in_an_old_question_is_pseudonymised_and_the_rest_untouched(
    old: Old,
) -> None:
    seeded = old.seeded
    await seeded.repos.retention.apply(CUTOFF, SIX_YEARS_ON)
    for question in (old.published, old.withdrawn):
        after = await seeded.repos.questions.get(question.id)
        assert after.submitted_by.startswith(PSEUDONYM_PREFIX)
        assert after.assigned_officer is not None
        assert after.assigned_officer.startswith(PSEUDONYM_PREFIX)
        events = await seeded.repos.audit.for_subject("question", question.reference)
        assert all(e.actor.startswith(PSEUDONYM_PREFIX) or e.actor in SYSTEM_ACTORS for e in events)
        assert OFFICER.user_id not in str([e.detail for e in events])
    published = await seeded.repos.questions.get(old.published.id)
    assert published.asker.member_name == PSEUDONYM_NAME
    assert published.state is QuestionState.PUBLISHED
    # One pseudonym per person in a question: the officer who answered is the one who
    # published nothing but answered every part.
    parts = await seeded.repos.answers.parts(old.published.id)
    assert len({p.author for p in parts}) == 1 and parts[0].author == published.assigned_officer
    withdrawn = await seeded.repos.questions.get(old.withdrawn.id)
    assert withdrawn.submitted_by != published.submitted_by  # a new pseudonym per question
    assert await seeded.repos.answers.parts(old.withdrawn.id) == []
    for question in (old.live, old.recent):
        after = await seeded.repos.questions.get(question.id)
        assert after.submitted_by == LATER_MEMBER.user_id
        assert after.assigned_officer == OFFICER.user_id
    # Old events about other things lose their people too; the officer's role keeps its title.
    rows = await seeded.db.fetchall(
        "SELECT actor, detail FROM audit_events WHERE subject_type = 'officer_role'"
        " AND occurred_at < ?",
        (CUTOFF.isoformat(),),
    )
    assert rows and all(str(r["actor"]).startswith(PSEUDONYM_PREFIX) for r in rows)
    assert all(OFFICER.user_id not in str(r["detail"]) for r in rows)
    assert "Director of Children's Social Care" in " ".join(str(r["detail"]) for r in rows)


async def test_someone_who_asked_for_hackney_of_tomorrow_is_never_named_after_either(
    old: Old,
) -> None:
    seeded = old.seeded
    repos = seeded.repos
    young = Actor("UHOTREP1")
    await repos.people.remember_names({young.user_id: "Young Person"}, NOW)
    theirs = await ask(
        seeded, young, Asker(OnBehalfOf.HACKNEY_OF_TOMORROW), "Can care leavers get help?"
    )
    await repos.questions.withdraw(theirs.id, CLERK, NOW + hours(1))
    await repos.answers.add_part(
        old.live.id, reply(9), "We met <@UHOTREP1> about it.", OFFICER, NOW + hours(2)
    )
    before = await compiled(seeded)
    assert "We met a colleague about it." in before
    await repos.retention.apply(CUTOFF, SIX_YEARS_ON)
    assert (await repos.questions.get(theirs.id)).submitted_by.startswith(PSEUDONYM_PREFIX)
    after = await compiled(seeded)
    assert "We met a colleague about it." in after and "Young Person" not in after


async def test_a_second_run_changes_nothing(old: Old) -> None:
    retention = old.seeded.repos.retention
    assert (await retention.apply(CUTOFF, SIX_YEARS_ON)).changed
    again = await retention.apply(CUTOFF, SIX_YEARS_ON)
    assert not again.changed, again.summary()


async def test_a_pseudonymised_question_cannot_be_reopened(old: Old) -> None:
    repos = old.seeded.repos
    await repos.retention.apply(CUTOFF, SIX_YEARS_ON)
    with pytest.raises(Conflict, match="pseudonymised"):
        await repos.questions.reinstate(old.withdrawn.id, CLERK, SIX_YEARS_ON)


async def test_nothing_inside_the_retention_period_changes(old: Old) -> None:
    before = await old.seeded.db.fetchall("SELECT * FROM audit_events ORDER BY id")
    report = await old.seeded.repos.retention.apply(NOW - timedelta(days=1), SIX_YEARS_ON)
    assert not report.changed
    after = await old.seeded.db.fetchall("SELECT * FROM audit_events ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


# --- the daily job ------------------------------------------------------------------------


def services_for(seeded: Seeded, months: int, now: datetime) -> Services:
    settings = Settings(
        slack_bot_token="xoxb-test", slack_signing_secret="s", retention_months=months
    )
    return Services(settings=settings, db=seeded.db, clock=FixedClock(now))


async def test_the_daily_job_counts_retention_months_back_from_the_clock(old: Old) -> None:
    seeded = old.seeded
    # Withdrawn at 12:00 UTC on 20 April 2026, published at 20:00: a minute short of 72
    # months after the first, nothing is due; the next morning both are.
    not_yet = services_for(seeded, 72, datetime(2032, 4, 20, 11, 59, tzinfo=UTC))
    report = await retention_tick(not_yet)
    assert report is not None and report.questions == 0
    due = services_for(seeded, 72, datetime(2032, 4, 21, 9, 0, tzinfo=UTC))
    report = await retention_tick(due)
    assert report is not None and report.questions == 2


async def test_retention_months_0_keeps_everything(old: Old) -> None:
    assert await retention_tick(services_for(old.seeded, 0, SIX_YEARS_ON)) is None


async def test_the_job_runs_daily(old: Old) -> None:
    services = services_for(old.seeded, 72, SIX_YEARS_ON)
    client = AsyncWebClient(token="xoxb-test")
    scheduler: AsyncIOScheduler = create_scheduler(services, client, Inbox(services))
    job = scheduler.get_job("retention")
    assert job is not None and job.args[2] is retention_tick  # run_once(services, id, work)
