"""What the benchmarks set up: the Slack double, the real bot, a commission and its questions.

Open questions are made through the repositories, as the bot makes them (create, triage,
send, set_thread: every step in its own transaction with its audit event). History that only
has to be there (thousands of closed questions) is written with ``executemany`` straight into
the same tables, which is about sixty times faster and gives the same rows.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.models import Asker, Meeting, MessageRef, OnBehalfOf, Question, QuestionDraft
from bot.core.permissions import Actor
from bot.sandbox import SlackDouble
from storage.codec import moment_text
from storage.db import Database, Tx
from storage.repositories import Repositories

SIGNING_SECRET = "bench-signing-secret"
CLERK = "UCLERK01"
MEMBER = "UMEMBER1"
CLERK_ACTOR = Actor(CLERK, is_clerk=True)
LONDON = ZoneInfo("Europe/London")
COMMITTEE = "CYP"
COMMITTEE_NAME = "Children and Young People Scrutiny Commission"

SENT_AT = datetime(2026, 4, 20, 10, 0, tzinfo=LONDON)
"""Monday: the open questions are sent."""
DUE_DATE = date(2026, 4, 27)
"""Their due date: Thursday 23 April is then two working days before it."""
SWEEP_AT = datetime(2026, 4, 23, 9, 35, tzinfo=LONDON)
"""Thursday morning: every open question is due its 'before_due_2' reminder."""
SOURCE_DATE = date(2026, 3, 16)
TARGET_DATE = date(2026, 5, 11)

QUESTION_TEXT = (
    "How many care leavers aged 18 to 25 live outside the borough, and what support do "
    "they receive from their personal advisers? Please give the figures for each of the "
    "last three years."
)


def officer_id(number: int) -> str:
    """UOFF00001, UOFF00002 ...: a Slack member id for officer ``number``."""
    return f"UOFF{number:05d}"


def role_key(number: int) -> str:
    return f"R{number:03d}"


# --- the commission -------------------------------------------------------------------------


@dataclass(frozen=True)
class Commission:
    source: Meeting
    target: Meeting
    officers: tuple[str, ...]


async def set_up_commission(
    repos: Repositories, officers: int, slack: SlackDouble | None = None
) -> Commission:
    """The committee, a source and a target meeting, and one officer role per officer."""
    now = SENT_AT
    await repos.meetings.save_committee(COMMITTEE, COMMITTEE_NAME, CLERK_ACTOR, now)
    source = await repos.meetings.add_meeting(
        COMMITTEE, SOURCE_DATE, COMMITTEE_NAME, CLERK_ACTOR, now
    )
    target = await repos.meetings.add_meeting(
        COMMITTEE, TARGET_DATE, COMMITTEE_NAME, CLERK_ACTOR, now
    )
    ids = tuple(officer_id(n) for n in range(1, officers + 1))
    for number, user in enumerate(ids, start=1):
        title = f"Head of Service {number}"
        await repos.officers.set_role(role_key(number), title, user, CLERK_ACTOR, now)
        if slack is not None:
            slack.add_user(user, f"officer{number}", f"Officer {number}")
    return Commission(source, target, ids)


def shuffled_assignments(count: int, officers: int, seed: int = 9) -> list[int]:
    """Officer index for each question: an equal share each, in a random (seeded) order."""
    order = alternating_assignments(count, officers)
    random.Random(seed).shuffle(order)
    return order


def alternating_assignments(count: int, officers: int) -> list[int]:
    """Officer index for each question: 0, 1, 2 ... officers - 1, 0, 1 ..."""
    return [index % officers for index in range(count)]


ThreadStarter = Callable[[Question], MessageRef]


def fake_thread(question: Question) -> MessageRef:
    """A thread reference for when no Slack double is involved."""
    return MessageRef(f"D{question.assigned_officer}", f"1776000000.{question.id:06d}")


async def create_sent_questions(
    repos: Repositories,
    commission: Commission,
    count: int,
    thread_for: ThreadStarter = fake_thread,
    *,
    text: str = QUESTION_TEXT,
    assignments: Sequence[int] | None = None,
) -> list[Question]:
    """``count`` questions sent to the officers, each with its officer thread; officer
    indexes from ``assignments``, by default an equal share each in a random order."""
    if assignments is None:
        assignments = shuffled_assignments(count, len(commission.officers))
    questions = []
    for index, officer in enumerate(assignments[:count]):
        question = await create_sent_question(
            repos, commission, officer + 1, thread_for, text=f"{text} ({index + 1})"
        )
        questions.append(question)
    return questions


async def create_sent_question(
    repos: Repositories,
    commission: Commission,
    officer_number: int,
    thread_for: ThreadStarter,
    *,
    text: str,
    agenda_item: str | None = None,
    sent_at: datetime = SENT_AT,
    due_date: date = DUE_DATE,
) -> Question:
    """One question through the lifecycle as the clerk does it: create, triage, send, thread."""
    now = sent_at
    role = role_key(officer_number)
    draft = QuestionDraft(
        source_meeting_id=commission.source.id,
        agenda_item=agenda_item,
        asker=Asker(OnBehalfOf.COMMISSION),
        submitted_by=MEMBER,
        text=text,
        addressed_role=role,
    )
    question = await repos.questions.create(draft, now)
    question = await repos.questions.triage(
        question.id,
        CLERK_ACTOR,
        now,
        addressed_role=role,
        assigned_officer=commission.officers[officer_number - 1],
        target_meeting_id=commission.target.id,
        due_date=due_date,
    )
    question = await repos.questions.send(question.id, CLERK_ACTOR, now)
    return await repos.questions.set_thread(question.id, thread_for(question), CLERK_ACTOR, now)


# --- history written straight into the tables -----------------------------------------------

_QUESTION_SQL = """
INSERT INTO questions (reference, source_meeting_id, sequence, on_behalf_of, submitted_by,
    text, state, addressed_role, assigned_officer, target_meeting_id, due_date,
    thread_channel, thread_ts, created_at, updated_at)
VALUES (?, ?, ?, 'commission', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_AUDIT_SQL = """
INSERT INTO audit_events (occurred_at, actor, action, subject_type, subject_id, detail)
VALUES (?, ?, ?, 'question', ?, '{}')
"""
_PART_SQL = """
INSERT INTO answer_parts (question_id, channel, ts, author, text, posted_at)
VALUES (?, ?, ?, ?, ?, ?)
"""
_PUBLICATION_SQL = """
INSERT INTO publications (question_id, meeting_id, published_by, published_at, answer_text)
VALUES (?, ?, ?, ?, ?)
"""
HISTORY_PER_MEETING = 1_000
"""Closed questions per historical meeting (references allow up to 9,999)."""
HISTORY_ANSWER = "The figures are in the table attached; support is reviewed every six months."


@dataclass(frozen=True)
class _Row:
    reference: str
    meeting_id: int
    sequence: int
    state: str
    officer: str
    role: str
    due: str
    channel: str
    ts: str
    at: str


async def add_closed_history(db: Database, count: int, officers: Sequence[str]) -> float:
    """``count`` closed questions (4 in 5 published, 1 in 5 withdrawn) from past meetings,
    each with its audit trail, and an answer and publication when published. Written with
    ``executemany`` in one transaction per meeting; returns the seconds it took."""
    started = time.perf_counter()
    meetings = await _past_meetings(db, -(-count // HISTORY_PER_MEETING))
    made = 0
    for meeting_id, meeting_day in meetings:
        batch = min(HISTORY_PER_MEETING, count - made)
        rows = [
            _closed_row(meeting_id, meeting_day, sequence, officers)
            for sequence in range(1, batch + 1)
        ]
        await _insert_history(db, rows)
        made += batch
    return time.perf_counter() - started


async def _past_meetings(db: Database, count: int) -> list[tuple[int, date]]:
    """Monthly meetings of the committee going back from 2026, newest first."""
    made = []
    day = date(2025, 12, 15)
    async with db.transaction() as tx:
        for _ in range(count):
            cursor = await tx.execute(
                "INSERT INTO meetings (committee_key, date, time, title) VALUES (?, ?, ?, ?)",
                (COMMITTEE, day.isoformat(), "19:00", COMMITTEE_NAME),
            )
            made.append((int(cursor.lastrowid or 0), day))
            day -= timedelta(days=28)
    return made


def _closed_row(meeting_id: int, day: date, sequence: int, officers: Sequence[str]) -> _Row:
    officer_index = (meeting_id * 7 + sequence) % len(officers)
    at = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC) + timedelta(days=7)
    return _Row(
        reference=f"{COMMITTEE}-{day.isoformat()}-Q{sequence:02d}",
        meeting_id=meeting_id,
        sequence=sequence,
        state="withdrawn" if sequence % 5 == 0 else "published",
        officer=officers[officer_index],
        role=role_key(officer_index + 1),
        due=(day + timedelta(days=21)).isoformat(),
        channel=f"D{officers[officer_index]}",
        ts=f"{int(at.timestamp())}.{meeting_id:03d}{sequence:03d}",
        at=moment_text(at),
    )


async def _insert_history(db: Database, rows: Sequence[_Row]) -> None:
    questions = [
        (
            r.reference,
            r.meeting_id,
            r.sequence,
            MEMBER,
            QUESTION_TEXT,
            r.state,
            r.role,
            r.officer,
            r.meeting_id,
            r.due,
            r.channel,
            r.ts,
            r.at,
            r.at,
        )
        for r in rows
    ]
    trail = ("question_submitted", "question_triaged", "question_sent", "thread_set")
    async with db.transaction() as tx:
        await tx.executemany(_QUESTION_SQL, questions)
        await tx.executemany(
            _AUDIT_SQL,
            [(r.at, CLERK, action, r.reference) for r in rows for action in trail],
        )
        await tx.executemany(
            _AUDIT_SQL, [(r.at, CLERK, f"question_{r.state}", r.reference) for r in rows]
        )
        ids = await _ids_by_reference(tx, [r.reference for r in rows if r.state == "published"])
        published = [r for r in rows if r.state == "published"]
        await tx.executemany(
            _PART_SQL,
            [
                (ids[r.reference], r.channel, r.ts + "1", r.officer, HISTORY_ANSWER, r.at)
                for r in published
            ],
        )
        await tx.executemany(
            _PUBLICATION_SQL,
            [(ids[r.reference], r.meeting_id, CLERK, r.at, HISTORY_ANSWER) for r in published],
        )


async def _ids_by_reference(tx: Tx, references: Sequence[str]) -> dict[str, int]:
    """Question ids for these references, read inside the open transaction."""
    found: dict[str, int] = {}
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = await tx.fetchall(
            f"SELECT id, reference FROM questions WHERE reference IN ({marks})", chunk
        )
        found.update({row["reference"]: int(row["id"]) for row in rows})
    return found


# --- timing ---------------------------------------------------------------------------------


Action = Callable[[], Awaitable[object]]


async def seconds_taken(action: Action) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def median_seconds(action: Action, repeats: int) -> float:
    """Run ``action`` once to warm up, then ``repeats`` times; the median wall time."""
    await action()
    return statistics.median([await seconds_taken(action) for _ in range(repeats)])


async def paired_medians(first: Action, second: Action, repeats: int) -> tuple[float, float]:
    """Median wall times of two actions run in turn (first, second, first ...) after a
    warm-up of each, so that a passing load on the machine hits both alike."""
    await first()
    await second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        times[0].append(await seconds_taken(first))
        times[1].append(await seconds_taken(second))
    return statistics.median(times[0]), statistics.median(times[1])
