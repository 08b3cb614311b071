"""Chasing: which reminders are due at a moment, one digest per person, the clerk's digest.

Pure: ``now`` and every input are arguments. Storage records each reminder's key before
it is sent (claim, send, mark sent), so each goes out at most once.

The ladder for a question chased against its due date D (a holding reply's promised date
when that is later; see ``chase_due_date``), every rung on a working day:

- ``sent``: the first working day on or after the day it was sent (officer);
- ``before_due_N``: N working days before D, by default 5 and 2 (officer);
- ``due_today``: on D when D is a working day (officer);
- ``overdue``: the first working day after D (officer and clerks);
- ``overdue_repeat``: every ``overdue_every`` working days after that (officer and clerks);
- ``very_overdue``: ``deadlines.very_overdue_from(D)`` (officer, clerks and the role's
  deputy); every later repeat goes to the deputy too.

Quiet periods: nothing is planned before the question was sent, before a holding reply's
promised day, or before a snooze ends. The end of a holding or snooze quiet period gets its
own rung (``promised_day``, ``after_snooze``) when no ladder rung falls on it, so "remind me
tomorrow" does remind tomorrow.

Missed rungs: a question has at most ONE reminder due at any moment: the latest rung on
or before today (on its day, ``sent`` beats any other rung). Its key carries the day the
rung was planned for, so a rung missed while the bot was down, or whose sending failed,
goes out late once, at the next sweep in working hours, unless a later rung has become due
since: then only the later one goes. Never a burst of stale reminders. The reason is
written for today, so a late "5 working days before" reminder says what is actually left.

A sweep: ``plan_reminders`` -> ``ReminderRepository.claim`` the keys (it drops those already
sent or in flight) -> ``group_digests`` and ``thread_nudges`` over the claimed reminders
only -> send -> ``mark_sent`` each key once its deliveries went out, ``mark_failed``
otherwise (it is then due again at the next sweep).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple

from bot.core.calendar import ONE_DAY, WorkingCalendar, council_zone, local_date, short_date
from bot.core.deadlines import (
    DEFAULT_VERY_OVERDUE_AFTER,
    Deadline,
    Lateness,
    agenda_publication_day,
    lateness,
    very_overdue_from,
)
from bot.core.errors import InvalidInput
from bot.core.lifecycle import AWAITING_ANSWER, STATE_DESCRIPTIONS
from bot.core.models import Meeting, MessageRef, Question, QuestionState

# --- Settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    """When reminders may go out, Europe/London local time: ``start`` <= time < ``end``."""

    start: time = time(9, 30)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise InvalidInput(f"Working hours must end after they start, not {self}.")

    def contains(self, moment: datetime) -> bool:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("working hours need a timezone-aware datetime")
        local = moment.astimezone(council_zone()).time()
        return self.start <= local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class ChaseSettings:
    """The chase ladder and working hours (all configurable; defaults from the product)."""

    working_hours: WorkingHours = field(default_factory=WorkingHours)
    on_sending: bool = True
    before_due: tuple[int, ...] = (5, 2)
    on_due_day: bool = True
    on_overdue: bool = True
    overdue_every: int = 2
    on_very_overdue: bool = True
    very_overdue_after: int = DEFAULT_VERY_OVERDUE_AFTER

    def __post_init__(self) -> None:
        if any(days < 1 for days in self.before_due):
            raise InvalidInput("Reminders before the due date need a whole number of days >= 1.")
        if len(set(self.before_due)) != len(self.before_due):
            raise InvalidInput("Each reminder before the due date can appear only once.")
        if self.overdue_every < 0:
            raise InvalidInput("The overdue repeat must be 0 (off) or more working days.")
        if self.very_overdue_after < 1:
            raise InvalidInput("Very overdue must be at least 1 working day after overdue.")


LADDER_STEPS = "sent, before:N, due, overdue, every:N, very_overdue"
DEFAULT_LADDER = "sent,before:5,before:2,due,overdue,every:2,very_overdue"
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")
_NUMBERED_STEP = re.compile(r"^(before|every)\s*:\s*(\d{1,3})$")
_PLAIN_STEPS = frozenset({"sent", "due", "overdue", "very_overdue"})


def parse_working_hours(text: str) -> WorkingHours:
    """'09:30-17:00' (an en dash works too) as WorkingHours."""
    match = _HOURS.match(text.strip())
    if match is None:
        raise InvalidInput(f"Working hours {text!r} should look like 09:30-17:00.")
    hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
    try:
        start, end = time(hour1, minute1), time(hour2, minute2)
    except ValueError:
        raise InvalidInput(f"Working hours {text!r} contain an impossible time.") from None
    return WorkingHours(start, end)


def parse_ladder(text: str, base: ChaseSettings | None = None) -> ChaseSettings:
    """Settings with the ladder from e.g. DEFAULT_LADDER; other fields come from ``base``.

    Steps, comma-separated, in any order: sent, before:N (N working days before due), due,
    overdue, every:N (repeat while overdue), very_overdue. A step left out is switched off.
    """
    steps = [step.strip().lower() for step in text.split(",") if step.strip()]
    if not steps:
        raise InvalidInput(f"The chase ladder is empty: use steps from {LADDER_STEPS}.")
    seen: set[str] = set()
    before: list[int] = []
    every = 0
    for step in steps:
        numbered = _NUMBERED_STEP.match(step)
        name = step if numbered is None else numbered.group(1)
        known = numbered is not None or step in _PLAIN_STEPS
        if not known or (name in seen and name != "before"):
            raise InvalidInput(
                f"Chase ladder step {step!r} is unknown or repeated: use {LADDER_STEPS}."
            )
        seen.add(name)
        if numbered is not None and name == "before":
            before.append(int(numbered.group(2)))
        elif numbered is not None:
            every = int(numbered.group(2))
    return replace(
        base or ChaseSettings(),
        on_sending="sent" in seen,
        before_due=tuple(sorted(before, reverse=True)),
        on_due_day="due" in seen,
        on_overdue="overdue" in seen,
        overdue_every=every,
        on_very_overdue="very_overdue" in seen,
    )


# --- Inputs and results ---------------------------------------------------------------


@dataclass(frozen=True)
class ChaseItem:
    """What the planner needs about one question awaiting an answer.

    ``promised_date`` is the latest holding reply's (used only while the question is
    holding); ``snoozed_until`` is the latest snooze's, even if it has ended; ``deputy``
    is the addressed role's deputy; ``sent_on`` the London date it was sent.
    """

    question: Question
    promised_date: date | None = None
    snoozed_until: date | None = None
    deputy: str | None = None
    sent_on: date | None = None


class Rung(StrEnum):
    SENT = "sent"
    BEFORE_DUE = "before_due"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    OVERDUE_REPEAT = "overdue_repeat"
    VERY_OVERDUE = "very_overdue"
    PROMISED_DAY = "promised_day"
    AFTER_SNOOZE = "after_snooze"


_RANK = {
    Rung.PROMISED_DAY: 0,
    Rung.AFTER_SNOOZE: 0,
    Rung.BEFORE_DUE: 1,
    Rung.DUE_TODAY: 2,
    Rung.OVERDUE: 3,
    Rung.OVERDUE_REPEAT: 4,
    Rung.VERY_OVERDUE: 5,
    Rung.SENT: 9,
}
"""Which rung wins when two fall on the same day."""


class ReminderKey(NamedTuple):
    """What makes a reminder unique: stored before sending, so it goes out once."""

    question_id: int
    rung: str
    day: date


class Audience(StrEnum):
    OFFICER = "officer"
    CLERKS = "clerks"
    DEPUTY = "deputy"


@dataclass(frozen=True)
class Recipient:
    """Who is told. ``user`` is None only for the clerks (their channel, or each clerk)."""

    audience: Audience
    user: str | None = None


CLERKS = Recipient(Audience.CLERKS)


@dataclass(frozen=True)
class ReminderDue:
    """One reminder due now for one question."""

    key: ReminderKey
    rung: Rung
    question: Question
    due_date: date | None
    lateness: Lateness
    recipients: tuple[Recipient, ...]
    reason: str

    @property
    def day(self) -> date:
        return self.key.day

    @property
    def overdue(self) -> bool:
        return self.lateness in (Lateness.OVERDUE, Lateness.VERY_OVERDUE)


# --- Planning -------------------------------------------------------------------------


def chase_due_date(question: Question, promised_date: date | None) -> date | None:
    """The date chased against: the due date, or a holding reply's later promised date."""
    if question.state is not QuestionState.HOLDING or promised_date is None:
        return question.due_date
    if question.due_date is None:
        return promised_date
    return max(question.due_date, promised_date)


def plan_reminders(
    items: Iterable[ChaseItem], now: datetime, calendar: WorkingCalendar, settings: ChaseSettings
) -> list[ReminderDue]:
    """The reminders due at ``now``: none outside working days and hours, one per question."""
    today = local_date(now)
    if not calendar.is_working_day(today) or not settings.working_hours.contains(now):
        return []
    due: list[ReminderDue] = []
    for item in items:
        if item.question.state not in AWAITING_ANSWER:
            continue
        step = _current_step(item, today, calendar, settings)
        if step is not None:
            due.append(_reminder(item, step, today, calendar, settings))
    return sorted(due, key=lambda reminder: reminder.key)


@dataclass(frozen=True, order=True)
class _Step:
    """A rung planned for a day; orders by day, then by which wins on the same day."""

    day: date
    rank: int
    name: str
    rung: Rung = field(compare=False)


def _step(day: date, rung: Rung, name: str | None = None) -> _Step:
    return _Step(day, _RANK[rung], name or rung.value, rung)


def _current_step(
    item: ChaseItem, today: date, calendar: WorkingCalendar, settings: ChaseSettings
) -> _Step | None:
    """The latest rung on or before today that is not inside a quiet period."""
    ends = _quiet_period_ends(item, calendar)
    quiet_until = max((day for day, _ in ends), default=date.min)
    markers = [
        _step(day, rung)
        for day, rung in ends
        if day == quiet_until and (rung is not Rung.SENT or settings.on_sending)
    ]
    due = chase_due_date(item.question, item.promised_date)
    candidates = [
        step
        for step in (*_ladder(due, today, calendar, settings), *markers)
        if quiet_until <= step.day <= today
    ]
    return max(candidates, default=None)


def _promise(item: ChaseItem) -> date | None:
    """The promised date, which counts only while the question is holding."""
    return item.promised_date if item.question.state is QuestionState.HOLDING else None


def _quiet_period_ends(item: ChaseItem, calendar: WorkingCalendar) -> list[tuple[date, Rung]]:
    """The first working day after each quiet period (not sent yet, holding, snoozed)."""
    ends: list[tuple[date, Rung]] = []
    if item.sent_on is not None:
        ends.append((_working_day_on_or_after(item.sent_on, calendar), Rung.SENT))
    promised = _promise(item)
    if promised is not None:
        ends.append((_working_day_on_or_after(promised, calendar), Rung.PROMISED_DAY))
    if item.snoozed_until is not None:
        ends.append((_working_day_on_or_after(item.snoozed_until, calendar), Rung.AFTER_SNOOZE))
    return ends


def _ladder(
    due: date | None, today: date, calendar: WorkingCalendar, settings: ChaseSettings
) -> Iterator[_Step]:
    if due is None:
        return
    for days in settings.before_due:
        yield _step(
            calendar.subtract_working_days(due, days), Rung.BEFORE_DUE, f"before_due_{days}"
        )
    if settings.on_due_day and calendar.is_working_day(due):
        yield _step(due, Rung.DUE_TODAY)
    first_overdue = calendar.add_working_days(due, 1)
    if settings.on_overdue:
        yield _step(first_overdue, Rung.OVERDUE)
    repeat = _latest_repeat(first_overdue, today, calendar, settings.overdue_every)
    if repeat is not None:
        yield _step(repeat, Rung.OVERDUE_REPEAT)
    if settings.on_very_overdue:
        yield _step(
            very_overdue_from(due, calendar, settings.very_overdue_after), Rung.VERY_OVERDUE
        )


def _latest_repeat(
    first_overdue: date, today: date, calendar: WorkingCalendar, every: int
) -> date | None:
    """The latest 'every N working days after the first overdue day' on or before today."""
    if every < 1 or today <= first_overdue:
        return None
    elapsed = calendar.working_days_between(first_overdue, today) + int(
        calendar.is_working_day(today)
    )
    repeats = elapsed // every
    return calendar.add_working_days(first_overdue, repeats * every) if repeats else None


def _working_day_on_or_after(day: date, calendar: WorkingCalendar) -> date:
    while not calendar.is_working_day(day):
        day += ONE_DAY
    return day


def _reminder(
    item: ChaseItem,
    step: _Step,
    today: date,
    calendar: WorkingCalendar,
    settings: ChaseSettings,
) -> ReminderDue:
    question = item.question
    due = chase_due_date(question, item.promised_date)
    standing = _lateness(question, due, today, calendar, settings)
    return ReminderDue(
        key=ReminderKey(question.id, step.name, step.day),
        rung=step.rung,
        question=question,
        due_date=due,
        lateness=standing,
        recipients=_recipients(item, step.rung, standing, settings),
        reason=_reason(
            step.rung,
            step.day,
            today,
            situation(due, today, calendar, standing, _promise(item)),
        ),
    )


def _lateness(
    question: Question,
    due: date | None,
    today: date,
    calendar: WorkingCalendar,
    settings: ChaseSettings,
) -> Lateness:
    """deadlines.lateness against the chased date; without a due date it can't be late."""
    if due is None:
        return Lateness.ON_TIME
    return lateness(
        replace(question, due_date=due),
        today,
        calendar,
        very_overdue_after=settings.very_overdue_after,
    )


def _recipients(
    item: ChaseItem, rung: Rung, standing: Lateness, settings: ChaseSettings
) -> tuple[Recipient, ...]:
    """The officer; the clerks once overdue (or when nobody is assigned); the deputy once
    very overdue. The sent rung goes to the officer only: it is their first notice."""
    officer = item.question.assigned_officer
    people = [Recipient(Audience.OFFICER, officer)] if officer else []
    if rung is Rung.SENT and people:
        return tuple(people)
    if not people or standing in (Lateness.OVERDUE, Lateness.VERY_OVERDUE):
        people.append(CLERKS)
    deputy = item.deputy
    if (
        standing is Lateness.VERY_OVERDUE
        and settings.on_very_overdue
        and deputy not in (None, officer)
    ):
        people.append(Recipient(Audience.DEPUTY, deputy))
    return tuple(people)


def situation(
    due: date | None,
    today: date,
    calendar: WorkingCalendar,
    standing: Lateness,
    promised_date: date | None = None,
) -> str:
    """'due in 2 working days (Mon 27 Apr)', 'overdue: was due Mon 27 Apr, 1 working day ago'."""
    if due is None:
        return "no due date set yet"
    when = short_date(due, with_year=due.year != today.year)
    if due == promised_date:
        when += ", the date promised"
    if standing is Lateness.DUE_TODAY:
        return f"due today ({when})"
    if standing is Lateness.ON_TIME:
        left = calendar.working_days_between(today, due) + int(calendar.is_working_day(due))
        return f"due in {_working_days(left)} ({when})" if left else f"due {when}"
    late = calendar.working_days_between(due, today) + int(calendar.is_working_day(today))
    return f"{standing.value}: was due {when}, {_working_days(late)} ago"


def _working_days(count: int) -> str:
    return f"{count} working day" if count == 1 else f"{count} working days"


def _reason(rung: Rung, day: date, today: date, where_it_stands: str) -> str:
    """The situation today, introduced by the rung; a late marker rung names its day."""
    on = "today" if day == today else short_date(day, with_year=day.year != today.year)
    if rung is Rung.SENT:
        return (
            f"new question, {where_it_stands}" if day == today else f"sent {on}, {where_it_stands}"
        )
    if rung is Rung.AFTER_SNOOZE:
        return f"snoozed until {on}, {where_it_stands}"
    if rung is Rung.PROMISED_DAY:
        return f"answer promised by {on}, {where_it_stands}"
    return where_it_stands


# --- Digests and thread nudges --------------------------------------------------------


@dataclass(frozen=True)
class DigestEntry:
    """One question in a digest, and why this person is told about it."""

    reminder: ReminderDue
    audience: Audience

    @property
    def key(self) -> ReminderKey:
        return self.reminder.key

    @property
    def reference(self) -> str:
        return self.reminder.question.reference

    @property
    def due_date(self) -> date | None:
        return self.reminder.due_date

    @property
    def overdue(self) -> bool:
        return self.reminder.overdue

    @property
    def thread(self) -> MessageRef | None:
        """Where to link to (build the permalink from channel and ts)."""
        return self.reminder.question.thread


@dataclass(frozen=True)
class OfficerDigest:
    """One message for one person: every question due a reminder in this sweep.

    ``user`` is None for the clerks' digest.
    """

    user: str | None
    entries: tuple[DigestEntry, ...]

    @property
    def keys(self) -> tuple[ReminderKey, ...]:
        return tuple(entry.key for entry in self.entries)


@dataclass(frozen=True)
class ThreadNudge:
    """A short reply in the question's own thread."""

    key: ReminderKey
    reference: str
    thread: MessageRef
    text: str


def group_digests(reminders: Iterable[ReminderDue]) -> list[OfficerDigest]:
    """One digest per person (and one for the clerks), each question listed once."""
    boxes: dict[str | None, dict[int, DigestEntry]] = {}
    for reminder in reminders:
        for recipient in reminder.recipients:
            box = boxes.setdefault(recipient.user, {})
            box.setdefault(reminder.question.id, DigestEntry(reminder, recipient.audience))
    return [
        OfficerDigest(user, tuple(sorted(boxes[user].values(), key=_entry_order)))
        for user in sorted(boxes, key=lambda user: (user is None, user or ""))
    ]


def _entry_order(entry: DigestEntry) -> tuple[int, date, str]:
    """Very overdue first, then overdue, then by due date and reference."""
    urgency = {Lateness.VERY_OVERDUE: 0, Lateness.OVERDUE: 1}.get(entry.reminder.lateness, 2)
    return (urgency, entry.due_date or date.max, entry.reference)


def thread_nudges(reminders: Iterable[ReminderDue]) -> list[ThreadNudge]:
    """One nudge per question with a thread; none for 'sent' (the question itself is new)."""
    nudges: dict[int, ThreadNudge] = {}
    for reminder in reminders:
        thread = reminder.question.thread
        if thread is None or reminder.rung is Rung.SENT:
            continue
        nudges.setdefault(
            reminder.question.id,
            ThreadNudge(
                reminder.key, reminder.question.reference, thread, f"Reminder: {reminder.reason}."
            ),
        )
    return sorted(nudges.values(), key=lambda nudge: nudge.key)


# --- Snoozing -------------------------------------------------------------------------


class SnoozeChoice(StrEnum):
    TOMORROW = "tomorrow"
    TWO_WORKING_DAYS = "2_working_days"


_SNOOZE_DAYS = {SnoozeChoice.TOMORROW: 1, SnoozeChoice.TWO_WORKING_DAYS: 2}


@dataclass(frozen=True)
class Snooze:
    """Reminders for a question held back until ``until`` (the due date does not move)."""

    question_id: int
    until: date
    snoozed_by: str
    snoozed_at: datetime


def snooze_until(
    choice: SnoozeChoice | str,
    today: date,
    calendar: WorkingCalendar,
    due_date: date | None,
    clerk: bool,
) -> date:
    """The working day reminders resume: capped at the due date unless the clerk snoozes.

    When the cap leaves nothing to snooze (due today or already overdue), only the clerk
    can snooze: InvalidInput says so.
    """
    try:
        days = _SNOOZE_DAYS[SnoozeChoice(choice)]
    except ValueError:
        raise InvalidInput(
            f"{choice!r} is not a snooze choice: use tomorrow or 2_working_days."
        ) from None
    until = calendar.add_working_days(today, days)
    if clerk or due_date is None or until <= due_date:
        return until
    cap = _working_day_on_or_before(due_date, calendar)
    if cap <= today:
        raise InvalidInput(
            f"Reminders can't be snoozed beyond the due date ({short_date(due_date)}): "
            "ask the clerk."
        )
    return cap


def _working_day_on_or_before(day: date, calendar: WorkingCalendar) -> date:
    while not calendar.is_working_day(day):
        day -= ONE_DAY
    return day


# --- The clerk's daily digest ---------------------------------------------------------


@dataclass(frozen=True)
class AnsweredQuestion:
    """A question and when its answer arrived (the first reply in its thread)."""

    question: Question
    answered_at: datetime


@dataclass(frozen=True)
class OverdueQuestion:
    question: Question
    due_date: date
    lateness: Lateness
    situation: str


@dataclass(frozen=True)
class OfficerOverdue:
    """An officer's overdue questions; ``officer`` is None when nobody is assigned."""

    officer: str | None
    questions: tuple[OverdueQuestion, ...]


@dataclass(frozen=True)
class BlockingQuestion:
    question: Question
    status: str


@dataclass(frozen=True)
class AgendaBlockers:
    """Questions for a meeting that are not yet approved, and when the agenda goes out."""

    meeting: Meeting
    publication: Deadline
    questions: tuple[BlockingQuestion, ...]


@dataclass(frozen=True)
class CompileNow:
    """The last working day before a meeting's agenda goes out: time to compile."""

    meeting: Meeting
    publication: Deadline
    answered: int
    awaited: tuple[tuple[str | None, int], ...]
    """(officer, how many of their questions still await an answer)."""


@dataclass(frozen=True)
class ClerkDigest:
    day: date
    since: datetime
    new_answers: tuple[AnsweredQuestion, ...]
    overdue_by_officer: tuple[OfficerOverdue, ...]
    agenda_blockers: tuple[AgendaBlockers, ...]
    compile_now: tuple[CompileNow, ...] = ()

    @property
    def is_empty(self) -> bool:
        blocked = any(blockers.questions for blockers in self.agenda_blockers)
        return not (self.new_answers or self.overdue_by_officer or blocked or self.compile_now)


BLOCKING_STATES = frozenset(
    {
        QuestionState.SUBMITTED,
        QuestionState.SENT,
        QuestionState.HOLDING,
        QuestionState.RETURNED,
        QuestionState.ANSWERED,
    }
)
"""States that keep a question out of the next agenda: not answered, or not approved."""


def build_clerk_digest(
    *,
    now: datetime,
    since: datetime,
    calendar: WorkingCalendar,
    settings: ChaseSettings,
    answered: Iterable[AnsweredQuestion],
    awaiting: Iterable[ChaseItem],
    next_meetings: Sequence[Meeting],
    targeted: Iterable[Question],
) -> ClerkDigest:
    """New answers since ``since``, overdue questions by officer, what blocks each agenda."""
    today = local_date(now)
    return ClerkDigest(
        day=today,
        since=since,
        new_answers=tuple(
            sorted(
                (news for news in answered if since <= news.answered_at <= now),
                key=lambda news: (news.answered_at, news.question.reference),
            )
        ),
        overdue_by_officer=_overdue_by_officer(awaiting, today, calendar, settings),
        agenda_blockers=_agenda_blockers(next_meetings, targeted, today, calendar),
        compile_now=_compile_now(next_meetings, targeted, today, calendar),
    )


ANSWERED_STATES = frozenset(
    {QuestionState.ANSWERED, QuestionState.APPROVED, QuestionState.PUBLISHED}
)


def _compile_now(
    meetings: Sequence[Meeting],
    targeted: Iterable[Question],
    today: date,
    calendar: WorkingCalendar,
) -> tuple[CompileNow, ...]:
    """Meetings whose agenda goes out on the next working day."""
    tomorrow = calendar.add_working_days(today, 1)
    due = [
        (meeting, publication)
        for meeting in meetings
        if (publication := agenda_publication_day(meeting.date, calendar, today=today)).date
        == tomorrow
    ]
    if not due:
        return ()
    questions = list(targeted)
    out = []
    for meeting, publication in due:
        mine = [q for q in questions if q.target_meeting_id == meeting.id]
        waiting: dict[str | None, int] = {}
        for question in mine:
            if question.state in AWAITING_ANSWER:
                waiting[question.assigned_officer] = waiting.get(question.assigned_officer, 0) + 1
        out.append(
            CompileNow(
                meeting,
                publication,
                sum(1 for q in mine if q.state in ANSWERED_STATES),
                tuple(sorted(waiting.items(), key=lambda pair: (pair[0] is None, pair[0] or ""))),
            )
        )
    return tuple(out)


def _overdue_by_officer(
    awaiting: Iterable[ChaseItem], today: date, calendar: WorkingCalendar, settings: ChaseSettings
) -> tuple[OfficerOverdue, ...]:
    by_officer: dict[str | None, list[OverdueQuestion]] = {}
    for item in awaiting:
        question = item.question
        due = chase_due_date(question, item.promised_date)
        if question.state not in AWAITING_ANSWER or due is None:
            continue
        standing = _lateness(question, due, today, calendar, settings)
        if standing in (Lateness.OVERDUE, Lateness.VERY_OVERDUE):
            where = situation(due, today, calendar, standing, _promise(item))
            overdue = OverdueQuestion(question, due, standing, where)
            by_officer.setdefault(question.assigned_officer, []).append(overdue)
    return tuple(
        OfficerOverdue(
            officer, tuple(sorted(items, key=lambda o: (o.due_date, o.question.reference)))
        )
        for officer, items in sorted(
            by_officer.items(), key=lambda pair: (pair[0] is None, pair[0] or "")
        )
    )


def _agenda_blockers(
    meetings: Sequence[Meeting],
    targeted: Iterable[Question],
    today: date,
    calendar: WorkingCalendar,
) -> tuple[AgendaBlockers, ...]:
    blocking: dict[int, list[BlockingQuestion]] = {meeting.id: [] for meeting in meetings}
    for question in targeted:
        meeting_id = question.target_meeting_id
        if meeting_id in blocking and question.state in BLOCKING_STATES:
            blocking[meeting_id].append(
                BlockingQuestion(question, STATE_DESCRIPTIONS[question.state])
            )
    return tuple(
        AgendaBlockers(
            meeting,
            agenda_publication_day(meeting.date, calendar, today=today),
            tuple(sorted(blocking[meeting.id], key=lambda b: b.question.reference)),
        )
        for meeting in sorted(meetings, key=lambda meeting: (meeting.date, meeting.committee_key))
    )
