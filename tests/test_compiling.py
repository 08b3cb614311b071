"""Compiling the agenda item from a real database: the December 2023 questions, answered
(some), held, awaited, withdrawn, then published; and ``python -m bot compile`` end to end."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest

from bot.compiling import (
    compile_meeting,
    find_target_meeting,
    gather_entries,
    mentioned_users,
    publish_meeting,
)
from bot.core import export
from bot.core.agenda import HACKNEY_OF_TOMORROW, TITLE, EntryStatus
from bot.core.errors import InvalidInput, NotFound, NotPermitted
from bot.core.history import AUDIT_FIELDS, AUDIT_SCHEMA
from bot.core.importer import parse_question_list
from bot.core.lifecycle import draft_question, edit_text
from bot.core.models import Asker, Meeting, MessageRef, OnBehalfOf, Question, QuestionState
from bot.core.permissions import Actor
from bot.pdf import PdfFailed, convert_to_pdf, find_libreoffice
from storage.db import Database
from storage.questions import save_change
from storage.repositories import Repositories
from storage.store import open_store
from tests.paths import MINUTES, ROOT

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=LONDON)
CLERK = Actor("UCLERK01", is_clerk=True)
MEMBER = Actor("UMEMBER1")
HOT_REP = Actor("UHOTREP1")
OFFICERS = {"DCSC": Actor("UDCSC001"), "HoS": Actor("UHOS0001"), "DoE": Actor("UDOE0001")}
ROLE_TITLES = {
    "DCSC": "Director of Children's Social Care",
    "HoS": "Head of Service, Children in Care and Care Leavers",
    "DoE": "Director of Education",
}
NAMES = {"UDCSC001": "Dana Director", "UHOS0001": "Harper Head", "UHOTREP1": "Young Person"}
COMMITTEE = "Children and Young People Scrutiny Commission"
DECEMBER = f"{COMMITTEE}, 18 December 2023"
REPORT = "Children's Social Care Annual Report (2022/23)"
CHANNEL = "C0RESPONSE"

Q02_PARTS = (
    "*Preparation*: the service has completed its self-evaluation &amp; the Annex A return.\n"
    "• 200 supporting documents are cleared and ready\n"
    "• the last 6 months of audits are complete",
    "Morale is good; <@UHOS0001> can brief members on the "
    "<https://hackney.gov.uk/csc|annual report>.",
)
Q05_TEXT = "Referrals to the *Family Hubs* rose by 12% &amp; waiting times fell."
Q11_TEXT = "We discussed the new practice model with <@UHOTREP1> and the group: training is _done_."
RETURNED_TEXT = "This is a draft we were asked to expand."
HOLDING_NOTE = "Figures are being checked with the performance team."


def reference(sequence: int) -> str:
    return f"CYP-2023-12-18-Q{sequence:02d}"


def at(day: int, hour: int) -> datetime:
    """A moment in April 2026, London time."""
    return datetime(2026, 4, day, hour, 0, tzinfo=LONDON)


def thread_reply(moment: datetime, n: int = 1) -> MessageRef:
    return MessageRef(CHANNEL, f"{int(moment.timestamp())}.{n:06d}")


@dataclass(frozen=True)
class Record:
    """The database with the December questions routed to the May meeting."""

    repos: Repositories
    db: Database
    path: Path
    source: Meeting
    target: Meeting
    later: Meeting
    questions: dict[str, Question]


async def set_up_meetings(repos: Repositories) -> tuple[Meeting, Meeting, Meeting]:
    await repos.meetings.save_committee("CYP", COMMITTEE, CLERK, NOW)
    source = await repos.meetings.add_meeting(
        "CYP", date(2023, 12, 18), COMMITTEE, CLERK, NOW, start=time(19, 0)
    )
    await repos.meetings.add_agenda_item(source.id, "4", REPORT, CLERK, NOW)
    target = await repos.meetings.add_meeting(
        "CYP", date(2026, 5, 11), COMMITTEE, CLERK, NOW, start=time(19, 0)
    )
    later = await repos.meetings.add_meeting("CYP", date(2026, 7, 6), COMMITTEE, CLERK, NOW)
    for key, title in ROLE_TITLES.items():
        await repos.officers.set_role(key, title, OFFICERS[key].user_id, CLERK, NOW)
    return source, target, later


async def import_and_send(repos: Repositories, source: Meeting, target: Meeting) -> list[Question]:
    """4.6 to 4.26 from the minutes, as the clerk imports them; 4.22 submitted by the young
    person for Hackney of Tomorrow; each triaged to the May meeting and sent."""
    parsed = parse_question_list(MINUTES.read_text(encoding="utf-8"), ROLE_TITLES.keys())
    questions: list[Question] = []
    for item in parsed.questions:
        role = item.role_hint or "DCSC"
        on_behalf = (
            OnBehalfOf.HACKNEY_OF_TOMORROW if item.hackney_of_tomorrow else OnBehalfOf.COMMISSION
        )
        by_young_person = item.number == "4.22"
        draft = draft_question(
            HOT_REP if by_young_person else CLERK,
            source_meeting_id=source.id,
            agenda_item="4",
            asker=Asker(on_behalf),
            text=item.text,
            addressed_role=role,
            importing=not by_young_person,
        )
        question = await repos.questions.create(draft, NOW)
        await repos.questions.triage(
            question.id,
            CLERK,
            NOW,
            addressed_role=role,
            assigned_officer=OFFICERS[role].user_id,
            target_meeting_id=target.id,
            due_date=date(2026, 4, 21),
        )
        questions.append(await repos.questions.send(question.id, CLERK, NOW))
    return questions


async def reply(repos: Repositories, question: Question, text: str, moment: datetime) -> None:
    officer = Actor(question.assigned_officer or "")
    await repos.answers.add_part(question.id, thread_reply(moment), text, officer, moment)


async def answer_some(repos: Repositories, by_ref: dict[str, Question]) -> None:
    """Q02 in two parts, Q05 answered, Q11 answered and approved, Q03 held, Q06 returned,
    Q07 withdrawn; the rest awaited. Q22 (not from the minutes) is rejected."""
    q02, q05, q11 = by_ref[reference(2)], by_ref[reference(5)], by_ref[reference(11)]
    await reply(repos, q02, Q02_PARTS[0], at(21, 14))
    await repos.answers.add_part(
        q02.id, thread_reply(at(22, 9), 2), Q02_PARTS[1], OFFICERS["DCSC"], at(22, 9)
    )
    await reply(repos, q05, Q05_TEXT, at(21, 16))
    await reply(repos, q11, Q11_TEXT, at(23, 11))
    await repos.answers.approve(q11.id, CLERK, at(24, 9))
    q03 = by_ref[reference(3)]
    await repos.answers.give_holding_reply(
        q03.id, HOLDING_NOTE, date(2026, 4, 28), Actor(q03.assigned_officer or ""), at(21, 10)
    )
    q06 = by_ref[reference(6)]
    await reply(repos, q06, RETURNED_TEXT, at(21, 11))
    await repos.questions.return_answer(q06.id, CLERK, at(21, 12), note="Please add figures.")
    await repos.questions.withdraw(by_ref[reference(7)].id, CLERK, at(21, 9), reason="Covered")


async def add_rejected(repos: Repositories, source: Meeting, target: Meeting) -> None:
    draft = draft_question(
        MEMBER,
        source_meeting_id=source.id,
        agenda_item="4",
        asker=Asker(OnBehalfOf.MEMBER, "Cllr Sam Mirza"),
        text="A duplicate of an earlier question?",
    )
    question = await repos.questions.create(draft, NOW)
    await repos.questions.triage(
        question.id,
        CLERK,
        NOW,
        addressed_role="DCSC",
        assigned_officer=None,
        target_meeting_id=target.id,
        due_date=None,
    )
    await repos.questions.reject(question.id, CLERK, NOW, reason="Duplicate")


@pytest.fixture
async def record(tmp_path: Path) -> AsyncIterator[Record]:
    path = tmp_path / "scrutiny.db"
    db = await Database.open(path)
    repos = Repositories.on(db)
    source, target, later = await set_up_meetings(repos)
    questions = {q.reference: q for q in await import_and_send(repos, source, target)}
    await answer_some(repos, questions)
    await add_rejected(repos, source, target)
    yield Record(repos, db, path, source, target, later, questions)
    await db.close()


# --- reading the Word file back ------------------------------------------------------------


def paragraphs(data: bytes) -> list[tuple[str, str]]:
    """(style name, text) of every paragraph."""
    document = docx.Document(io.BytesIO(data))
    return [(p.style.name if p.style else "", p.text) for p in document.paragraphs]


def headings(data: bytes, level: int) -> list[str]:
    return [text for style, text in paragraphs(data) if style == f"Heading {level}"]


def question_sections(data: bytes) -> dict[str, list[tuple[str, str]]]:
    """The paragraphs under each 'Question N (reference)' heading, by reference."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for style, text in paragraphs(data):
        if style == "Heading 4":
            current = sections.setdefault(text.split("(")[1].rstrip(")"), [])
        elif style.startswith("Heading"):
            current = None
        elif current is not None:
            current.append((style, text))
    return sections


def texts(section: list[tuple[str, str]]) -> list[str]:
    return [text for _, text in section]


# --- compiling -------------------------------------------------------------------------------


async def test_word_document_lists_every_question_in_order(record: Record) -> None:
    agenda = await compile_meeting(record.repos, record.target, CLERK)
    data = agenda.to_docx_bytes()
    assert headings(data, 1) == [
        "Responses to questions not reached at the meeting of the Children and Young People "
        "Scrutiny Commission on 18 December 2023"
    ]
    assert headings(data, 2) == ["Before publication", DECEMBER]
    assert headings(data, 3) == [f"Item 4: {REPORT}"]
    # 4.6 → 4.26 are Q01 → Q21; the rejected Q22 is left out.
    assert headings(data, 4) == [f"Question {n} ({reference(n)})" for n in range(1, 22)]
    front = texts(paragraphs(data)[:5])
    assert "Meeting: Children and Young People Scrutiny Commission, Monday 11 May 2026" in front
    assert "Reference: CYP-2026-05-11" in front
    assert agenda.file_stem == "CYP-2026-05-11-question-responses"


async def test_word_document_shows_responses_with_role_titles(record: Record) -> None:
    sections = question_sections(
        (await compile_meeting(record.repos, record.target, CLERK)).to_docx_bytes()
    )
    q02 = sections[reference(2)]
    assert texts(q02)[0] == "Asked by: The Commission"
    assert texts(q02)[1].startswith("Question: A full inspection of children’s social care")
    assert (
        "Response: Preparation: the service has completed its self-evaluation & the Annex A return."
    ) in texts(q02)
    bullets = [text for style, text in q02 if style == "List Bullet"]
    assert bullets == [
        "200 supporting documents are cleared and ready",
        "the last 6 months of audits are complete",
    ]
    # A mention of the officer for a role reads as the role, never the raw id.
    assert (
        f"Morale is good; {ROLE_TITLES['HoS']} can brief members on the annual report "
        "(https://hackney.gov.uk/csc)." in texts(q02)
    )
    assert f"Response from: {ROLE_TITLES['DCSC']}" in texts(q02)
    assert "Date answered: 22 April 2026" in texts(q02)
    q05 = sections[reference(5)]
    assert "Response: Referrals to the Family Hubs rose by 12% & waiting times fell." in texts(q05)
    assert f"Response from: {ROLE_TITLES['HoS']}" in texts(q05)


async def test_word_document_shows_each_status(record: Record) -> None:
    data = (await compile_meeting(record.repos, record.target, CLERK)).to_docx_bytes()
    sections = question_sections(data)
    for ref in (reference(11), reference(17)):  # 4.16 and 4.22
        assert texts(sections[ref])[0] == f"Asked by: {HACKNEY_OF_TOMORROW}"
    assert texts(sections[reference(3)])[-2:] == [
        f"Holding reply: {HOLDING_NOTE} (full response promised by 28 April 2026)",
        f"Response from: {ROLE_TITLES['DCSC']}",
    ]
    assert texts(sections[reference(7)])[-1] == "Response: Withdrawn."
    # Returned for more: the draft is not published, the response is awaited.
    assert texts(sections[reference(6)])[-2:] == [
        "Response: Response awaited.",
        f"Response requested from: {ROLE_TITLES['DCSC']}",
    ]
    awaited = [ref for ref, s in sections.items() if "Response: Response awaited." in texts(s)]
    assert len(awaited) == 16
    assert all(RETURNED_TEXT not in text for _, text in paragraphs(data))


async def test_markdown_and_summary(record: Record) -> None:
    agenda = await compile_meeting(record.repos, record.target, CLERK)
    summary = agenda.summary
    assert (summary.answered, summary.holding, summary.awaited, summary.withdrawn) == (3, 1, 16, 1)
    assert summary.headline == (
        "21 questions: 3 answered, 1 holding reply, 16 responses awaited, 1 withdrawn."
    )
    assert summary.not_yet_approved == (reference(2), reference(5))
    assert [q.reference for q in summary.holding_questions] == [reference(3)]
    markdown = agenda.markdown
    assert markdown.startswith("# Responses to questions not reached at the meeting of the ")
    assert f"## {DECEMBER}\n" in markdown
    assert f"### Item 4: {REPORT}\n" in markdown
    assert "#### Question 2 (CYP-2023-12-18-Q02)" in markdown
    assert "**Response:** **Preparation**: the service has completed its self-evaluation & the" in (
        markdown
    )
    assert "- 200 supporting documents are cleared and ready\n" in markdown
    assert "annual report ([https://hackney.gov.uk/csc](https://hackney.gov.uk/csc))" in markdown
    assert f"**Asked by:** {HACKNEY_OF_TOMORROW}" in markdown
    assert "<@" not in markdown and "UHOS0001" not in markdown
    body = markdown[markdown.index(f"## {DECEMBER}") :]
    assert body.index(reference(1)) < body.index(reference(2)) < body.index(reference(21))


async def test_a_draft_lists_what_stands_before_publication(record: Record) -> None:
    on_time = await compile_meeting(record.repos, record.target, CLERK, today=date(2026, 4, 28))
    assert on_time.summary.lapsed_holding == ()
    notes = on_time.markdown[: on_time.markdown.index(f"## {DECEMBER}")]
    assert "## Before publication\n" in notes
    assert f"- Answer not yet approved: {reference(2)}.\n" in notes
    assert f"- Answer not yet approved: {reference(5)}.\n" in notes
    assert "Holding reply date passed" not in notes

    # The day after the promised date, the lapsed holding reply is flagged too.
    late = await compile_meeting(record.repos, record.target, CLERK, today=date(2026, 4, 29))
    assert [q.reference for q in late.summary.lapsed_holding] == [reference(3)]
    assert (
        f"- Holding reply date passed: {reference(3)} (a full response was promised by "
        "28 April 2026).\n"
    ) in late.markdown
    assert headings(late.to_docx_bytes(), 2)[0] == "Before publication"

    # The final document has no draft marks at all.
    final = await compile_meeting(
        record.repos, record.target, CLERK, today=date(2026, 4, 29), final=True
    )
    assert "Before publication" not in final.markdown
    assert "Holding reply date passed" not in final.markdown
    assert "Before publication" not in headings(final.to_docx_bytes(), 2)


async def test_officers_are_named_by_role_and_others_by_their_stored_name(
    record: Record,
) -> None:
    entries = await gather_entries(record.repos, record.target)
    assert mentioned_users(entries) == {"UHOS0001", "UHOTREP1"}
    agenda = await compile_meeting(record.repos, record.target, CLERK, NAMES)
    # UHOS0001 answers for the Head of Service role: named by the role, as published.
    assert f"Morale is good; {ROLE_TITLES['HoS']} can brief members" in agenda.markdown
    assert "Harper Head" not in agenda.markdown
    # UHOTREP1 submitted a question for Hackney of Tomorrow: never named, whatever Slack says.
    assert "Young Person" not in agenda.markdown
    assert "new practice model with a colleague and the group" in agenda.markdown

    # Once they no longer answer for a role, the name the bot last saw them go by is used,
    # from the store: the same in every compile, with or without Slack.
    await record.repos.officers.set_role("HoS", ROLE_TITLES["HoS"], "UDOE0001", CLERK, at(24, 9))
    await record.repos.people.remember_names(NAMES, at(24, 9))
    stored = await compile_meeting(record.repos, record.target, CLERK)
    assert "Morale is good; Harper Head can brief members" in stored.markdown
    assert "Young Person" not in stored.markdown

    asked: list[frozenset[str]] = []

    async def look_up(ids: frozenset[str]) -> None:
        asked.append(ids)
        await record.repos.people.remember_names({"UHOS0001": "Harper Head-Smith"}, at(24, 10))

    looked_up = await compile_meeting(record.repos, record.target, CLERK, look_up_names=look_up)
    assert asked == [frozenset({"UHOS0001"})]
    assert "Morale is good; Harper Head-Smith can brief members" in looked_up.markdown


async def test_entries_carry_what_the_record_says(record: Record) -> None:
    entries = {e.reference: e for e in await gather_entries(record.repos, record.target)}
    assert len(entries) == 21
    q02, q03, q11 = entries[reference(2)], entries[reference(3)], entries[reference(11)]
    assert q02.status is EntryStatus.ANSWERED and q02.response_parts == Q02_PARTS
    assert q02.answered_on == date(2026, 4, 22) and q02.sequence == 2
    assert q02.item_title == REPORT and q02.source_meeting_label == DECEMBER
    assert q03.status is EntryStatus.HOLDING and q03.promised_date == date(2026, 4, 28)
    assert q11.status is EntryStatus.APPROVED and q11.hackney_of_tomorrow
    assert q11.asked_by == HACKNEY_OF_TOMORROW
    assert entries[reference(7)].status is EntryStatus.WITHDRAWN


async def test_a_meeting_with_no_questions(record: Record) -> None:
    agenda = await compile_meeting(record.repos, record.later, CLERK)
    assert agenda.summary.total == 0
    assert agenda.summary.headline == "No questions are addressed to this meeting."
    assert "No questions from earlier meetings are addressed to the meeting of" in agenda.markdown
    assert headings(agenda.to_docx_bytes(), 1) == [TITLE]
    assert headings(agenda.to_docx_bytes(), 4) == []


async def test_only_the_clerk_compiles_and_publishes(record: Record) -> None:
    with pytest.raises(NotPermitted):
        await compile_meeting(record.repos, record.target, MEMBER)
    with pytest.raises(NotPermitted):
        await publish_meeting(record.repos, record.target, OFFICERS["DCSC"], at(27, 9))
    assert (await record.repos.questions.get(record.questions[reference(2)].id)).state is (
        QuestionState.ANSWERED
    )


# --- publishing ------------------------------------------------------------------------------


async def test_publishing_marks_answers_published_and_compiles_the_same(record: Record) -> None:
    before = await compile_meeting(record.repos, record.target, CLERK, final=True)
    published = await publish_meeting(record.repos, record.target, CLERK, at(27, 9))
    assert published == [reference(2), reference(5), reference(11)]
    repos = record.repos
    for ref in published:
        question = await repos.questions.get(record.questions[ref].id)
        assert question.state is QuestionState.PUBLISHED
        publication = (await repos.answers.get(question.id)).publication
        assert publication is not None and publication.meeting_id == record.target.id
        assert publication.published_by == CLERK.user_id
    # Q02 was only answered: the clerk's publishing approved it first, on the record.
    events = await repos.audit.for_subject("question", reference(2))
    assert [e.action for e in events][-2:] == ["question_approved", "question_published"]
    assert {e.actor for e in events[-2:]} == {CLERK.user_id}
    # Held, awaited and withdrawn questions are left as they were.
    assert (await repos.questions.get(record.questions[reference(3)].id)).state is (
        QuestionState.HOLDING
    )
    after = await compile_meeting(repos, record.target, CLERK, final=True)
    assert after.markdown == before.markdown
    assert after.to_docx_bytes() == before.to_docx_bytes()
    # Publishing again changes nothing.
    assert await publish_meeting(repos, record.target, CLERK, at(28, 9)) == []


async def test_published_text_stands_after_the_officer_edits(record: Record) -> None:
    await publish_meeting(record.repos, record.target, CLERK, at(27, 9))
    published = await compile_meeting(record.repos, record.target, CLERK)
    officer = OFFICERS["DCSC"]
    await record.repos.answers.edit_part(
        thread_reply(at(22, 9), 2), "Morale is low.", officer, at(29, 9)
    )
    q02 = record.questions[reference(2)]
    await record.repos.answers.add_part(
        q02.id, thread_reply(at(29, 10), 3), "A late addition.", officer, at(29, 10)
    )
    again = await compile_meeting(record.repos, record.target, CLERK)
    assert again.markdown == published.markdown
    assert "Morale is low" not in again.markdown and "late addition" not in again.markdown


async def test_a_correction_shows_with_the_original(record: Record) -> None:
    await publish_meeting(record.repos, record.target, CLERK, at(27, 9))
    q05 = record.questions[reference(5)]
    await record.repos.answers.correct(
        q05.id, "Referrals rose by 15%.", "The figure was wrong.", CLERK, at(28, 9)
    )
    agenda = await compile_meeting(record.repos, record.target, CLERK)
    section = texts(question_sections(agenda.to_docx_bytes())[reference(5)])
    assert "Response: Referrals rose by 15%." in section
    assert (
        "Status: Corrected on 28 April 2026; the original response is kept on record."
    ) in section
    assert "Reason for the correction: The figure was wrong." in section
    assert (
        "Original response: Referrals to the Family Hubs rose by 12% & waiting times fell."
    ) in section
    assert agenda.summary.corrected == 1 and agenda.summary.answered == 3


async def test_publishing_refuses_an_answer_with_no_text_left(record: Record) -> None:
    await record.repos.answers.delete_part(thread_reply(at(21, 16)), OFFICERS["HoS"], at(22, 10))
    with pytest.raises(InvalidInput, match="CYP-2023-12-18-Q05 has no answer text left"):
        await publish_meeting(record.repos, record.target, CLERK, at(27, 9))
    states = [
        (await record.repos.questions.get(record.questions[reference(n)].id)).state for n in (2, 11)
    ]
    assert states == [QuestionState.ANSWERED, QuestionState.APPROVED]


# --- which meeting ---------------------------------------------------------------------------


async def test_find_target_meeting_by_reference_date_or_next(record: Record) -> None:
    repos, target = record.repos, record.target
    today = date(2026, 4, 20)
    assert await find_target_meeting(repos, "CYP-2026-05-11", today) == target
    assert await find_target_meeting(repos, " cyp-2026-05-11 ", today) == target
    assert await find_target_meeting(repos, "2026-05-11", today) == target
    assert await find_target_meeting(repos, None, today) == target
    assert await find_target_meeting(repos, "", date(2026, 5, 11)) == target
    assert await find_target_meeting(repos, None, date(2026, 5, 12)) == record.later
    assert await find_target_meeting(repos, None, today, "cyp") == target


async def test_find_target_meeting_explains_what_is_wrong(record: Record) -> None:
    repos, today = record.repos, date(2026, 4, 20)
    with pytest.raises(NotFound, match="There is no meeting CYP-2026-05-12"):
        await find_target_meeting(repos, "CYP-2026-05-12", today)
    with pytest.raises(NotFound, match="There is no meeting on Tue 12 May 2026"):
        await find_target_meeting(repos, "2026-05-12", today)
    with pytest.raises(InvalidInput, match="not a real date"):
        await find_target_meeting(repos, "2026-02-30", today)
    with pytest.raises(InvalidInput, match="such as CYP-2026-05-11"):
        await find_target_meeting(repos, "next Monday", today)
    with pytest.raises(NotFound, match="No upcoming meeting: add one with /agenda meeting add"):
        await find_target_meeting(repos, None, date(2026, 7, 7))
    with pytest.raises(NotFound, match="There is no committee"):
        await find_target_meeting(repos, None, today, "XYZ")


async def test_find_target_meeting_asks_which_when_committees_share_a_day(record: Record) -> None:
    repos, today = record.repos, date(2026, 4, 20)
    await repos.meetings.save_committee("HIH", "Health in Hackney Scrutiny Commission", CLERK, NOW)
    health = await repos.meetings.add_meeting("HIH", date(2026, 5, 11), "Health", CLERK, NOW)
    message = r"Several committees meet on Mon 11 May 2026: .*\(CYP-2026-05-11, HIH-2026-05-11\)"
    with pytest.raises(InvalidInput, match=message):
        await find_target_meeting(repos, "2026-05-11", today)
    with pytest.raises(InvalidInput, match=message):
        await find_target_meeting(repos, None, today)
    assert await find_target_meeting(repos, "2026-05-11", today, "HIH") == health
    assert await find_target_meeting(repos, "HIH-2026-05-11", today) == health


# --- the command line ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: bytes
    stderr: str


async def run_cli(
    database: Path,
    *args: str,
    env_file: Path | None = None,
    command: str = "compile",
    path: str = "/usr/bin:/bin",
    settings: dict[str, str] | None = None,
) -> Run:
    """``python -m bot compile ...`` with no Slack settings; DATABASE_PATH from the
    environment, or only from ``env_file`` when one is given; programs found on ``path``;
    any other ``settings`` in the environment."""
    env = {"PATH": path, "PYTHONPATH": str(ROOT), **(settings or {})}
    if env_file is None:
        env["DATABASE_PATH"] = str(database)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        str(env_file or os.devnull),
        command,
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Run(process.returncode, stdout, stderr.decode())


@pytest.fixture
async def closed(record: Record) -> Record:
    """The record with the test's connection closed, for the command line to open."""
    await record.db.close()
    return record


GENERATED_AT = "2026-04-27T09:00"
"""The command-line compiles' --generated-at: the holding reply promised for 28 April has
not lapsed yet."""


async def expected_agenda(path: Path, meeting: Meeting) -> tuple[str, bytes]:
    db = await Database.open(path)
    try:
        agenda = await compile_meeting(Repositories.on(db), meeting, CLERK, today=date(2026, 4, 27))
        return agenda.markdown, agenda.to_docx_bytes()
    finally:
        await db.close()


async def test_cli_writes_markdown_to_stdout(closed: Record) -> None:
    result = await run_cli(
        closed.path, "--meeting", "CYP-2026-05-11", "--out", "-", "--generated-at", GENERATED_AT
    )
    assert result.code == 0, result.stderr
    markdown, _ = await expected_agenda(closed.path, closed.target)
    assert result.stdout.decode("utf-8") == markdown
    assert result.stderr.splitlines() == [
        "CYP-2026-05-11: 21 questions: 3 answered, 1 holding reply, 16 responses awaited, "
        "1 withdrawn. 2 not yet approved (--final approves and publishes them). "
        "Written to standard output."
    ]


async def test_cli_writes_word_and_markdown_files(closed: Record, tmp_path: Path) -> None:
    word_file, md_file = tmp_path / "agenda.docx", tmp_path / "agenda.md"
    word = await run_cli(
        closed.path,
        "--meeting",
        "2026-05-11",
        "--format",
        "docx",
        "--out",
        str(word_file),
        "--generated-at",
        GENERATED_AT,
    )
    assert word.code == 0, word.stderr
    assert word.stderr.strip().endswith(f"Written to {word_file}.")
    markdown = await run_cli(
        closed.path,
        "--meeting",
        "2026-05-11",
        "--out",
        str(md_file),
        "--generated-at",
        "2026-04-27",
    )
    assert markdown.code == 0, markdown.stderr
    expected_md, expected_docx = await expected_agenda(closed.path, closed.target)
    assert word_file.read_bytes() == expected_docx
    assert md_file.read_text(encoding="utf-8") == expected_md


async def test_cli_final_publishes_as_cli(closed: Record, tmp_path: Path) -> None:
    out = tmp_path / "final.md"
    result = await run_cli(closed.path, "--meeting", "CYP-2026-05-11", "--final", "--out", str(out))
    assert result.code == 0, result.stderr
    assert " Published 3 answers. " in result.stderr
    db = await Database.open(closed.path)
    try:
        repos = Repositories.on(db)
        published = await repos.questions.search(states=[QuestionState.PUBLISHED])
        assert [q.reference for q in published] == [reference(2), reference(5), reference(11)]
        events = await repos.audit.for_subject("question", reference(2))
        assert [(e.actor, e.action) for e in events[-2:]] == [
            ("cli", "question_approved"),
            ("cli", "question_published"),
        ]
    finally:
        await db.close()
    expected_md, _ = await expected_agenda(closed.path, closed.target)
    assert out.read_text(encoding="utf-8") == expected_md


async def test_cli_reads_the_database_path_from_the_env_file(
    closed: Record, tmp_path: Path
) -> None:
    env_file = tmp_path / "settings.env"
    env_file.write_text(f"DATABASE_PATH={closed.path}\nTIMEZONE=Europe/London\n", encoding="utf-8")
    result = await run_cli(
        closed.path, "--meeting", "CYP-2026-05-11", "--out", "-", env_file=env_file
    )
    assert result.code == 0, result.stderr
    assert "# Responses to questions not reached" in result.stdout.decode("utf-8")
    assert result.stderr.startswith("CYP-2026-05-11: 21 questions")


async def test_cli_unknown_meeting_is_one_line_and_exit_2(closed: Record) -> None:
    result = await run_cli(closed.path, "--meeting", "CYP-2030-01-01", "--out", "-")
    assert result.code == 2
    assert result.stdout == b""
    assert result.stderr.splitlines() == ["Error: There is no meeting CYP-2030-01-01."]


async def test_cli_missing_database_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "scrutiny.db"
    result = await run_cli(missing, "--out", "-")
    assert result.code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: There is no database at {missing}")
    assert "Traceback" not in result.stderr
    assert not missing.exists() and not missing.parent.exists()


def test_compile_help_says_how_people_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["compile", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "named as the bot last saw them in Slack" in help_text
    assert "--generated-at" in help_text
    assert "--final" in help_text and "DATABASE_PATH" in help_text


async def test_cli_file_that_is_not_a_database(tmp_path: Path) -> None:
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("not a database", encoding="utf-8")
    result = await run_cli(not_a_database, "--out", "-")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        f"Error: {not_a_database} is not a database the bot can read: file is not a database"
    ]


async def test_cli_refuses_to_replace_a_file_without_force(closed: Record, tmp_path: Path) -> None:
    out = tmp_path / "agenda.md"
    out.write_text("the clerk's own notes", encoding="utf-8")
    refused = await run_cli(
        closed.path, "--meeting", "CYP-2026-05-11", "--final", "--out", str(out)
    )
    assert refused.code == 2
    assert refused.stderr.splitlines() == [
        f"Error: {out} already exists: give --force to replace it"
    ]
    assert out.read_text(encoding="utf-8") == "the clerk's own notes"
    assert " Published " not in refused.stderr  # refused before --final published anything
    replaced = await run_cli(
        closed.path,
        "--meeting",
        "CYP-2026-05-11",
        "--force",
        "--out",
        str(out),
        "--generated-at",
        GENERATED_AT,
    )
    assert replaced.code == 0, replaced.stderr
    expected_md, _ = await expected_agenda(closed.path, closed.target)
    assert out.read_text(encoding="utf-8") == expected_md
    assert temporary_files(tmp_path) == []


def temporary_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("force", [False, True])
async def test_cli_never_writes_through_a_symbolic_link(
    closed: Record, tmp_path: Path, force: bool
) -> None:
    target = tmp_path / "elsewhere.md"
    target.write_text("not to be touched", encoding="utf-8")
    link = tmp_path / "agenda.md"
    link.symlink_to(target)
    dangling = tmp_path / "new.md"
    dangling.symlink_to(tmp_path / "created-through-a-link.md")
    for out in (link, dangling):
        args = ["--meeting", "CYP-2026-05-11", "--out", str(out)] + (["--force"] if force else [])
        result = await run_cli(closed.path, *args)
        assert result.code == 2
        assert result.stderr.splitlines() == [
            f"Error: {out} is a symbolic link: give the real file's path"
        ]
    assert target.read_text(encoding="utf-8") == "not to be touched"
    assert not (tmp_path / "created-through-a-link.md").exists()


async def test_cli_out_in_a_folder_that_cannot_be_written(closed: Record) -> None:
    result = await run_cli(closed.path, "--meeting", "CYP-2026-05-11", "--out", "/proc/nope/a.md")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: Could not write /proc/nope/a.md: there is no folder /proc/nope"
    ]


async def test_export_writes_csv_and_json_with_published_text_only(closed: Record) -> None:
    csv_run = await run_cli(
        closed.path, "--meeting", "CYP-2026-05-11", "--out", "-", command="export"
    )
    assert csv_run.code == 0, csv_run.stderr
    assert csv_run.stderr.strip() == "CYP-2026-05-11: 21 questions written to standard output."
    table = list(csv.DictReader(io.StringIO(csv_run.stdout.decode("utf-8-sig"))))
    assert len(table) == 21 and tuple(table[0]) == export.FIELDS
    assert {row["committee"] for row in table} == {"Children and Young People Scrutiny Commission"}
    for row in table:
        if row["status"] not in ("published", "corrected"):
            assert row["published_answer"] == "" and row["answered_on"] == ""
    json_run = await run_cli(
        closed.path,
        "--meeting",
        "2026-05-11",
        "--format",
        "json",
        "--out",
        "-",
        command="export",
    )
    assert json_run.code == 0, json_run.stderr
    document = json.loads(json_run.stdout)
    assert document["schema"] == export.SCHEMA
    assert document["meeting"]["reference"] == "CYP-2026-05-11"
    assert [q["reference"] for q in document["questions"]] == [r["reference"] for r in table]


async def test_the_export_names_people_as_the_document_never_by_slack_id(
    record: Record,
) -> None:
    await publish_meeting(record.repos, record.target, CLERK, at(27, 9))
    await record.db.close()
    result = await run_cli(
        record.path, "--meeting", "CYP-2026-05-11", "--out", "-", command="export"
    )
    assert result.code == 0, result.stderr
    table = {
        r["reference"]: r for r in csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig")))
    }
    # Q11 mentions a Hackney of Tomorrow young person; Q02 the Head of Service.
    assert (
        "practice model with a colleague and the group" in table[reference(11)]["published_answer"]
    )
    assert (
        f"Morale is good; {ROLE_TITLES['HoS']} can brief" in table[reference(2)]["published_answer"]
    )
    assert table[reference(11)]["asked_by"] == HACKNEY_OF_TOMORROW
    assert table[reference(2)]["question"].startswith("A full inspection of children")
    assert b"UHOTREP1" not in result.stdout and b"UHOS0001" not in result.stdout


def test_a_cell_that_looks_like_a_formula_never_runs_as_one() -> None:
    row = dict.fromkeys(export.FIELDS, "")
    row |= {"reference": "CYP-Q01", "published_answer": '=HYPERLINK("http://x")', "minute": "-1"}
    data = export.to_csv([row]).decode("utf-8-sig")
    [read] = list(csv.DictReader(io.StringIO(data)))
    assert read["published_answer"] == '\'=HYPERLINK("http://x")'
    assert read["minute"] == "'-1"
    for start in ("+", "@", "\t"):
        assert export.neutralise(f"{start}SUM(A1)").startswith("'")
    assert export.neutralise("Plain text") == "Plain text"


# --- PUBLISH_DIR ------------------------------------------------------------------------------


async def test_cli_final_writes_the_open_data_into_publish_dir(
    closed: Record, tmp_path: Path
) -> None:
    folder = tmp_path / "website"
    folder.mkdir()
    names = ["CYP-2026-05-11-questions.csv", "CYP-2026-05-11-questions.json"]
    publish_dir = {"PUBLISH_DIR": str(folder)}
    meeting = ("--meeting", "CYP-2026-05-11")
    draft = await run_cli(closed.path, *meeting, "--out", "-", settings=publish_dir)
    assert draft.code == 0 and listing(folder) == []  # only publishing writes them
    final = await run_cli(
        closed.path, *meeting, "--final", "--out", str(tmp_path / "a.md"), settings=publish_dir
    )
    assert final.code == 0, final.stderr
    assert final.stderr.strip().endswith(f"Open data written to {folder}: {', '.join(names)}.")
    assert listing(folder) == names
    for name, fmt in zip(names, ("csv", "json"), strict=True):
        export_run = await run_cli(
            closed.path, *meeting, "--format", fmt, "--out", "-", command="export"
        )
        assert (folder / name).read_bytes() == export_run.stdout
    assert b",published," in (folder / names[0]).read_bytes()


async def test_cli_final_with_a_publish_dir_that_is_gone_publishes_and_warns(
    closed: Record, tmp_path: Path
) -> None:
    missing = tmp_path / "website"
    out = tmp_path / "a.md"
    result = await run_cli(
        closed.path,
        *("--meeting", "CYP-2026-05-11", "--final", "--out", str(out)),
        settings={"PUBLISH_DIR": str(missing)},
    )
    assert result.code == 1
    summary, warning = result.stderr.splitlines()
    assert summary.endswith(f"Published 3 answers. Written to {out}.")
    assert warning == (
        "Warning: the answers are published, but their open data could not be written to "
        f"PUBLISH_DIR: there is no folder {missing}. Once the folder is fixed, run compile "
        "--final again to write it, or use python -m bot export."
    )
    assert await published_references(closed.path) == [reference(2), reference(5), reference(11)]
    assert out.is_file() and not missing.exists()


# --- PDF through LibreOffice -----------------------------------------------------------------


def stand_in_libreoffice(folder: Path, *, fails: bool = False) -> Path:
    """A ``soffice`` that records its arguments in ``args.txt`` and, like LibreOffice, writes
    ``<outdir>/<name>.pdf`` (or says "boom" and exits 1 with ``fails``); returns its folder."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    script = bin_dir / "soffice"
    work = f"""printf '%s\\n' "$@" > '{folder / "args.txt"}'
outdir=""; last=""
while [ $# -gt 0 ]; do
  case "$1" in --outdir) outdir="$2"; shift;; esac
  last="$1"; shift
done
mkdir -p "$outdir"
name=$(basename "$last" .docx)
printf '%%PDF-1.4 stand-in for %s.docx\\n' "$name" > "$outdir/$name.pdf"
"""
    if fails:
        work = "echo 'Error: boom' >&2\nexit 1\n"
    script.write_text(f"#!/bin/sh\n{work}", encoding="utf-8")
    script.chmod(0o755)
    return bin_dir


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def gone(*paths: Path) -> bool:
    return not any(path.exists() for path in paths)


async def published_references(path: Path) -> list[str]:
    db = await Database.open(path)
    try:
        published = await Repositories.on(db).questions.search(states=[QuestionState.PUBLISHED])
        return [q.reference for q in published]
    finally:
        await db.close()


async def test_cli_pdf_without_libreoffice_says_how_to_install_it(
    closed: Record, tmp_path: Path
) -> None:
    no_programs = tmp_path / "empty-bin"
    no_programs.mkdir()
    out = tmp_path / "agenda.pdf"
    result = await run_cli(
        closed.path,
        *("--meeting", "CYP-2026-05-11", "--format", "pdf", "--final", "--out", str(out)),
        path=str(no_programs),
    )
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: PDF needs LibreOffice, which is not installed: install it with "
        '"sudo apt-get install libreoffice-writer-nogui" (Debian/Ubuntu), or compile to .docx'
    ]
    assert listing(tmp_path) == ["empty-bin", "scrutiny.db"]
    assert await published_references(closed.path) == []  # checked before --final published


async def test_cli_pdf_is_made_from_the_word_document_beside_it(
    closed: Record, tmp_path: Path
) -> None:
    bin_dir = stand_in_libreoffice(tmp_path)
    out = tmp_path / "pack" / "agenda.pdf"
    out.parent.mkdir()
    result = await run_cli(
        closed.path,
        *("--meeting", "CYP-2026-05-11", "--out", str(out)),  # .pdf: PDF without --format
        *("--generated-at", GENERATED_AT),
        path=f"{bin_dir}:/usr/bin:/bin",
    )
    assert result.code == 0, result.stderr
    word = out.with_suffix(".docx")
    assert result.stderr.strip().endswith(f"Written to {out} (and {word}).")
    assert out.read_bytes() == b"%PDF-1.4 stand-in for agenda.docx\n"
    _, expected_docx = await expected_agenda(closed.path, closed.target)
    assert word.read_bytes() == expected_docx
    args = (tmp_path / "args.txt").read_text(encoding="utf-8").splitlines()
    assert args[0] == "--headless"
    assert args[1].startswith("-env:UserInstallation=file:///")
    profile = Path(args[1].removeprefix("-env:UserInstallation=file://"))
    assert args[2:5] == ["--convert-to", "pdf", "--outdir"]
    assert args[5] != str(out.parent) and args[6] == str(word.resolve())
    assert gone(profile, Path(args[5]))  # private to this run, and cleaned up
    assert listing(out.parent) == ["agenda.docx", "agenda.pdf"]


async def test_cli_pdf_refuses_to_replace_either_file_without_force(
    closed: Record, tmp_path: Path
) -> None:
    bin_dir = stand_in_libreoffice(tmp_path)
    out = tmp_path / "agenda.pdf"
    out.with_suffix(".docx").write_text("the clerk's own draft", encoding="utf-8")
    args = ("--meeting", "CYP-2026-05-11", "--format", "pdf", "--out", str(out))
    refused = await run_cli(closed.path, *args, path=f"{bin_dir}:/usr/bin:/bin")
    assert refused.code == 2
    assert refused.stderr.splitlines() == [
        f"Error: {out.with_suffix('.docx')} already exists: give --force to replace it"
    ]
    assert not out.exists()
    replaced = await run_cli(closed.path, *args, "--force", path=f"{bin_dir}:/usr/bin:/bin")
    assert replaced.code == 0, replaced.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert temporary_files(tmp_path) == []


async def test_cli_pdf_conversion_that_fails_is_one_line_and_keeps_the_word_file(
    closed: Record, tmp_path: Path
) -> None:
    bin_dir = stand_in_libreoffice(tmp_path, fails=True)
    out = tmp_path / "agenda.pdf"
    result = await run_cli(
        closed.path,
        *("--meeting", "CYP-2026-05-11", "--format", "pdf", "--final", "--out", str(out)),
        path=f"{bin_dir}:/usr/bin:/bin",
    )
    assert result.code == 2
    word = out.with_suffix(".docx")
    assert result.stderr.splitlines() == [
        "Error: LibreOffice could not convert agenda.docx to PDF (soffice exited with code 1: "
        f"Error: boom). The Word document is written to {word}; "
        "--final had already published 3 answers"
    ]
    assert not out.exists()
    header = docx.Document(str(word)).sections[0].header
    assert "DRAFT" not in "\n".join(p.text for p in header.paragraphs)  # the --final document


async def test_cli_pdf_cannot_go_to_standard_output(closed: Record) -> None:
    result = await run_cli(closed.path, "--format", "pdf", "--out", "-")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: PDF output can't go to standard output: give --out FILE.pdf"
    ]


def test_a_conversion_that_hangs_is_stopped(tmp_path: Path) -> None:
    hangs = tmp_path / "soffice"
    hangs.write_text("#!/bin/sh\nsleep 60 &\nwait\n", encoding="utf-8")
    hangs.chmod(0o755)
    document = tmp_path / "agenda.docx"
    document.write_bytes(b"not opened by the stand-in")
    with pytest.raises(PdfFailed, match=r"did not convert agenda\.docx to PDF within 0\.5 seconds"):
        convert_to_pdf(document, str(hangs), timeout=0.5)


LIBREOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice (soffice) is not installed here")
async def test_cli_pdf_with_the_real_libreoffice(closed: Record, tmp_path: Path) -> None:
    assert LIBREOFFICE is not None and find_libreoffice()
    out = tmp_path / "agenda.pdf"
    result = await run_cli(
        closed.path,
        *("--meeting", "CYP-2026-05-11", "--format", "pdf", "--out", str(out)),
        path=f"{Path(LIBREOFFICE).parent}:/usr/bin:/bin",
    )
    assert result.code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert out.with_suffix(".docx").is_file()


# --- python -m bot audit ---------------------------------------------------------------------


def read_audit_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_one_questions_trail_in_plain_words(closed: Record) -> None:
    result = await run_cli(
        closed.path, "--question", reference(2).lower(), "--out", "-", command="audit"
    )
    assert result.code == 0, result.stderr
    rows = read_audit_csv(result.stdout)
    assert tuple(rows[0]) == AUDIT_FIELDS
    assert {row["subject_id"] for row in rows} == {reference(2)}
    assert rows[0]["action"] == "question_submitted"
    assert rows[0]["description"] == "submitted the question"
    assert "replied in the thread (recorded as part of the answer)" in [
        row["description"] for row in rows
    ]
    assert [int(row["id"]) for row in rows] == sorted(int(row["id"]) for row in rows)
    assert result.stderr.strip() == (
        f"Audit of {reference(2)}: {len(rows)} events written to standard output."
    )


async def test_a_meeting_and_its_questions_as_json(closed: Record, tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    result = await run_cli(
        closed.path,
        *("--meeting", "CYP-2026-05-11", "--format", "json", "--out", str(out)),
        command="audit",
    )
    assert result.code == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["schema"] == AUDIT_SCHEMA
    subjects = {event["subject_id"] for event in document["events"]}
    assert reference(1) in subjects and reference(21) in subjects
    submitted = next(e for e in document["events"] if e["action"] == "question_submitted")
    assert isinstance(submitted["detail"], dict) and "text" in submitted["detail"]
    again = await run_cli(closed.path, "--out", str(out), command="audit")
    assert again.code == 2
    assert again.stderr.splitlines() == [f"Error: {out} already exists: give --force to replace it"]


async def test_since_a_date_and_bad_input(record: Record) -> None:
    question = record.questions[reference(1)]
    change = edit_text(question, '=HYPERLINK("http://x")', CLERK, at(29, 9))
    assert change is not None
    async with record.db.transaction() as tx:
        await save_change(tx, change)
    await record.db.close()
    result = await run_cli(record.path, "--since", "2026-04-29", "--out", "-", command="audit")
    assert result.code == 0, result.stderr
    rows = read_audit_csv(result.stdout)
    assert [row["action"] for row in rows] == ["question_edited"]
    assert rows[0]["description"] == "changed the question's wording"
    # What people typed stays inside the JSON detail: no cell starts as a formula.
    assert json.loads(rows[0]["detail"])["after"] == '=HYPERLINK("http://x")'
    assert not any(value.startswith(("=", "+", "-", "@")) for value in rows[0].values())
    bad = await run_cli(record.path, "--since", "last week", "--out", "-", command="audit")
    assert bad.code == 2
    assert bad.stderr.splitlines() == [
        "Error: --since 'last week' is not a date such as 2026-05-01"
    ]
    unknown = await run_cli(
        record.path, "--question", "CYP-2023-12-18-Q99", "--out", "-", command="audit"
    )
    assert unknown.code == 2 and "CYP-2023-12-18-Q99" in unknown.stderr


# --- moving the record to PostgreSQL --------------------------------------------------------


async def move_to(record: Record, url: str) -> Run:
    """``python -m bot migrate-to-postgres --from <the record's file> --to URL``."""
    return await run_cli(
        record.path, "--from", str(record.path), "--to", url, command="migrate-to-postgres"
    )


async def test_a_record_moved_to_postgresql_compiles_to_the_same_bytes(
    closed: Record, tmp_path: Path, empty_postgresql: str
) -> None:
    moved = await move_to(closed, empty_postgresql)
    assert moved.code == 0, moved.stderr
    counts = dict(line.split(": ", 1) for line in moved.stderr.splitlines() if " copied, " in line)
    with sqlite3.connect(closed.path) as sqlite:
        for table, line in counts.items():
            [[rows]] = sqlite.execute(f"SELECT COUNT(*) FROM {table}").fetchall()
            assert line == f"{rows} copied, {rows} in PostgreSQL"
    assert int(counts["questions"].split()[0]) > 20 and len(counts) > 25
    assert "every table's rows counted on both sides" in moved.stderr

    def compile_args(out: Path) -> list[str]:
        return [
            "--meeting",
            "CYP-2026-05-11",
            "--format",
            "docx",
            "--out",
            str(out),
            "--generated-at",
            GENERATED_AT,
        ]

    before, after = tmp_path / "sqlite.docx", tmp_path / "postgresql.docx"
    on_sqlite = await run_cli(closed.path, *compile_args(before))
    on_postgresql = await run_cli(
        closed.path, *compile_args(after), settings={"DATABASE_URL": empty_postgresql}
    )
    assert on_sqlite.code == 0 and on_postgresql.code == 0, on_postgresql.stderr
    assert on_postgresql.stderr.replace(str(after), "OUT") == on_sqlite.stderr.replace(
        str(before), "OUT"
    )
    assert after.read_bytes() == before.read_bytes()
    # New rows' ids go on from the largest copied.
    store = await open_store(empty_postgresql)
    try:
        result = await store.write_all(
            [
                (
                    "INSERT INTO audit_events (occurred_at, actor, action, subject_type,"
                    " subject_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
                    ("2026-04-27T09:00:00Z", "UCLERK01", "note", "question", "1", "{}"),
                )
            ]
        )
        [[largest]] = sqlite3.connect(closed.path).execute("SELECT MAX(id) FROM audit_events")
        assert result[0].lastrowid == largest + 1
    finally:
        await store.close()
    # A second move into the same database is refused, with nothing copied.
    again = await move_to(closed, empty_postgresql)
    assert again.code == 2 and "already has rows" in again.stderr


async def test_moving_to_something_not_postgresql_is_one_line(closed: Record) -> None:
    result = await move_to(closed, "data/other.db")
    assert result.code == 2
    assert result.stderr.strip() == "Error: --to must be a postgresql:// URL, not 'data/other.db'"
